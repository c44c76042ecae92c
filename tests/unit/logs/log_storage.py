"""A log collector's storage on this machine's own filesystem, sealed by the role's own sealer.

The sealer (roles/log_collector/files/landingzone-log-seal) runs as it does on a collector, with
the collection's log_chain standing in for the copy the role installs beside it. The kernel here
keeps chattr flags (ext4, and these tests run as root): files the sealer makes append-only or
immutable get their flags cleared again before the test's directory is removed.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import grp
import io
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _log_chain
from role_script import load_role_script

SEALER = Path(__file__).resolve().parents[3] / "roles" / "log_collector" / "files" / "landingzone-log-seal"
# The collector's account in these tests: nobody, in group nogroup (both exist on every Debian).
GROUP = "nogroup"
T0 = datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)


@functools.cache
def sealer():
    return load_role_script(SEALER, "landingzone_log_seal", beside={"log_chain": _log_chain})


class Storage:
    """/var/log/remote of a collector, in a directory the collector's account can reach."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="lz-logs-"))
        self.root.chmod(0o755)
        self.gid = grp.getgrnam(GROUP).gr_gid
        self.periods = 0

    def prepare(self, *senders: str, check: bool = False) -> list[str]:
        return self._lines(["prepare", *(["--check"] if check else []), *senders])

    def write(self, sender: str, *lines: str) -> None:
        """Lines as the collector appends them: one JSON document each."""
        with open(self.root / sender / _log_chain.CURRENT, "a", encoding="utf-8") as handle:
            for line in lines:
                handle.write(json.dumps({"sender": sender, "message": line}) + "\n")

    def seal(self) -> list[dict]:
        """One sealing, an hour after the one before (no collector unit to stop here)."""
        moment = T0 + datetime.timedelta(hours=self.periods)
        self.periods += 1
        before = set(self.sealed_everywhere())
        sealer().seal_all(str(self.root), self.gid, now=moment)
        return [name for name in self.sealed_everywhere() if name not in before]

    def sealed_everywhere(self) -> list[str]:
        return [f"{d.name}/{n}" for d in sorted(self.root.iterdir()) for n in _log_chain.sealed_files(d)]

    def sealed(self, sender: str) -> list[Path]:
        return [self.root / sender / name for name in _log_chain.sealed_files(self.root / sender)]

    def check(self, sender: str) -> dict:
        return _log_chain.check_chain(str(self.root / sender))

    def _lines(self, args: list[str]) -> list[str]:
        """The sealer's command line, as the role and the timer run it; what it printed."""
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert sealer().main(["--storage", str(self.root), "--group", GROUP, *args]) == 0
        return out.getvalue().splitlines()

    def as_collector(self, command: str) -> subprocess.CompletedProcess:
        """A shell command as the collector's account (nobody, group nogroup)."""
        return subprocess.run(
            ["setpriv", "--reuid=nobody", f"--regid={self.gid}", "--clear-groups", "sh", "-c", command],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
        )

    def remove(self) -> None:
        for path in self.root.rglob("*"):
            if path.is_file():
                lift_flags(path)
        shutil.rmtree(self.root)


def lift_flags(path) -> None:
    """What root does before it can change or remove a sealed file (and what the cleanup must do)."""
    _log_chain.set_inode_flag(path, _log_chain.IMMUTABLE, False)
    _log_chain.set_inode_flag(path, _log_chain.APPEND_ONLY, False)


def kernel_keeps_flags(directory: Path) -> bool:
    probe = directory / ".flag-probe"
    probe.touch()
    try:
        return _log_chain.set_inode_flag(probe, _log_chain.APPEND_ONLY, True)
    finally:
        _log_chain.set_inode_flag(probe, _log_chain.APPEND_ONLY, False)
        probe.unlink()
