"""One run per municipality at a time, across processes and threads.

An advisory fcntl lock on a per-municipality file: the kernel drops it when the
holder dies, so a crashed run never leaves a stale lock behind.
"""

import datetime
import fcntl
import os
from pathlib import Path

from landingzone.errors import LandingzoneError


class MunicipalityBusy(LandingzoneError):
    """Another run holds the municipality; this one must not start."""


class MunicipalityLock:
    def __init__(self, locks_dir: Path, municipality: str):
        self.path = locks_dir / f"{municipality}.lock"
        self.municipality = municipality
        self._fd: int | None = None

    def acquire(self) -> "MunicipalityLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another run"
            os.close(fd)
            raise MunicipalityBusy(
                f"{self.municipality}: another run is working on this municipality ({holder}); "
                f"wait for it to finish (lock file {self.path})"
            ) from None
        started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {started}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        # Truncate before unlocking so a waiting run never reads a finished holder.
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> "MunicipalityLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
