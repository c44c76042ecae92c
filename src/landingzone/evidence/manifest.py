"""manifest.sha256: the checksum of every evidence file, in the format `sha256sum -c` reads."""

import hashlib
from pathlib import Path

MANIFEST = "manifest.sha256"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _line(digest: str, name: str) -> str:
    # sha256sum escapes a name holding a backslash or a newline and marks the line with a leading backslash.
    if "\\" in name or "\n" in name:
        return "\\" + digest + "  " + name.replace("\\", "\\\\").replace("\n", "\\n") + "\n"
    return f"{digest}  {name}\n"


def write_manifest(run_dir: Path) -> Path:
    """Checksums of every file under run_dir (but the manifest), with paths relative to it."""
    manifest = run_dir / MANIFEST
    files = sorted(path for path in run_dir.rglob("*") if path.is_file() and path != manifest)
    manifest.write_text(
        "".join(_line(_sha256(path), path.relative_to(run_dir).as_posix()) for path in files), encoding="utf-8"
    )
    return manifest
