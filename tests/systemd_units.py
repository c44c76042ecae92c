"""systemd unit files read back by systemd itself, for the hostile-string tests.

`systemd-analyze verify` runs in a root of its own (this machine's unit files and stand-ins for
the programs the roles' units start, which it refuses to find missing); the settings are then
read as systemd.syntax(7) reads a file, so two renderings can be compared setting by setting.
"""

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

# The programs the roles' units start.
PROGRAMS = (
    "usr/local/sbin/landingzone-backup",
    "usr/local/sbin/landingzone-backup-keeper",
    "usr/local/sbin/landingzone-log-seal",
    "usr/bin/rclone",
    "usr/sbin/rsyslogd",
)
# What systemd-analyze prints when a file's structure is off; a value systemd cannot use in its
# setting ("Failed to parse ...") is a different matter: it was read as that setting's one value.
STRUCTURE_WARNINGS = re.compile(r"Unknown (key|section)|Missing '='|[Ii]nvalid section|too long|not executable")


def make_root(root: Path) -> Path:
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for program in PROGRAMS:
        (root / program).parent.mkdir(parents=True, exist_ok=True)
        (root / program).write_text("#!/bin/sh\n")
        (root / program).chmod(0o755)
    return root


def settings(text: str) -> list[tuple[str, str, str]]:
    """A unit file as systemd.syntax(7) reads it: (section, key, value) in order; comments and
    empty lines skipped, a final backslash joining the next line with a space."""
    read, section, pending = [], "", ""
    for line in text.splitlines():
        line = pending + line.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, equals, value = line.partition("=")
        assert equals, f"not a setting: {line[:80]!r}"
        read.append((section, key.strip(), value.strip()))
    return read


def verified(root: Path, units: dict[str, str], name: str, *, strict: bool = True) -> list[tuple[str, str, str]]:
    """The settings of unit ``name`` once systemd-analyze verify read its file: without any
    warning when ``strict``, else without a warning about the file's structure."""
    returncode, stderr = _verify(root, tuple(sorted(units.items())), name)
    if strict:
        assert returncode == 0 and not stderr.strip(), f"systemd-analyze verify: {stderr[:600]}"
    else:
        assert not STRUCTURE_WARNINGS.search(stderr), f"systemd-analyze verify: {stderr[:600]}"
    return settings(units[name])


@cache
def _verify(root: Path, units: tuple[tuple[str, str], ...], name: str) -> tuple[int, str]:
    """systemd-analyze verify's verdict on these exact files, asked once per process: a hostile-string
    test reads its placeholder's rendering back before every value, the same files each time."""
    directory = root / "etc/systemd/system"
    for old in directory.iterdir():
        old.unlink()
    for unit, text in units:
        (directory / unit).write_text(text)
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={root}", f"/etc/systemd/system/{name}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stderr
