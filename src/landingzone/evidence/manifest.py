"""manifest.sha256: the checksum of every evidence file, in the format `sha256sum -c` reads.

It lists every file of the run directory but itself and its signature (manifest.sha256.p7s,
which signs it); checking it names each file that changed, went missing or was added.
"""

import hashlib
from pathlib import Path

MANIFEST = "manifest.sha256"
SIGNATURE_FILE = MANIFEST + ".p7s"
NOT_LISTED = (MANIFEST, SIGNATURE_FILE)


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


def _unescape(name: str) -> str:
    out, index = [], 0
    while index < len(name):
        pair = name[index : index + 2]
        if pair in ("\\\\", "\\n"):
            out.append("\\" if pair == "\\\\" else "\n")
            index += 2
        else:
            out.append(name[index])
            index += 1
    return "".join(out)


def _entries(run_dir: Path) -> list[Path]:
    """Every entry under run_dir the manifest must account for (symlinks too, which it never lists)."""
    return sorted(
        path
        for path in run_dir.rglob("*")
        if (path.is_symlink() or path.is_file()) and path.relative_to(run_dir).as_posix() not in NOT_LISTED
    )


def write_manifest(run_dir: Path) -> Path:
    """Checksums of every file under run_dir (but the manifest and its signature), relative to it."""
    manifest = run_dir / MANIFEST
    files = [path for path in _entries(run_dir) if not path.is_symlink()]
    manifest.write_text(
        "".join(_line(_sha256(path), path.relative_to(run_dir).as_posix()) for path in files), encoding="utf-8"
    )
    return manifest


def read_manifest(run_dir: Path) -> dict[str, str]:
    """{relative path: sha256} as manifest.sha256 lists them; ValueError names a line it cannot read."""
    listed: dict[str, str] = {}
    text = (run_dir / MANIFEST).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        escaped = line.startswith("\\")
        digest, separator, name = line[1:].partition("  ") if escaped else line.partition("  ")
        if not separator or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or not name:
            raise ValueError(f"{MANIFEST}: line {number} is not '<sha256>  <file>'")
        name = _unescape(name) if escaped else name
        if name in listed:
            raise ValueError(f"{MANIFEST}: line {number}: {name} is listed twice")
        listed[name] = digest
    if not text.endswith("\n") and text:
        raise ValueError(f"{MANIFEST}: its last line is cut short")
    return listed


def manifest_problems(run_dir: Path) -> list[str]:
    """Each file that differs from the manifest, is missing, is not listed, or is a symlink; [] when all match."""
    run_dir = Path(run_dir)
    try:
        listed = read_manifest(run_dir)
    except OSError as exc:
        return [f"{MANIFEST}: cannot be read: {exc.strerror}"]
    except (ValueError, UnicodeDecodeError) as exc:
        return [str(exc)]
    problems = []
    present = {path.relative_to(run_dir).as_posix(): path for path in _entries(run_dir)}
    for name, path in present.items():
        if path.is_symlink():
            problems.append(f"{name}: a symbolic link, not a file of the evidence")
        elif name not in listed:
            problems.append(f"{name}: not listed in {MANIFEST}")
        elif _sha256(path) != listed[name]:
            problems.append(f"{name}: differs from its checksum in {MANIFEST}")
    problems += [f"{name}: listed in {MANIFEST} but missing" for name in listed if name not in present]
    return problems
