"""The two host-side locks of an engine run: one run at a time, and the account files.

The run lock is an flock on a file in /run/lock: the kernel drops it when its holder
dies, even by SIGKILL, so a crashed run never leaves a stale lock behind. A second run
does not wait for it: it stops at once and says who holds it.

The account lock is the shadow suite's (lckpwdf(3)): a POSIX record lock on
/etc/.pwd.lock, the lock useradd, usermod, passwd and chpasswd take before they read
the account files. The engine holds it from its first read of those files until its
last write, so that an account another program adds meanwhile waits instead of being
written over. Like lckpwdf, it gives up after 15 seconds rather than waiting forever.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time

RUN_LOCK = "/run/lock/landingzone-controls.lock"
ACCOUNT_LOCK = "/etc/.pwd.lock"
ACCOUNT_LOCK_SECONDS = 15  # what glibc's lckpwdf waits before it fails


class LockBusy(RuntimeError):
    """Another program holds a lock this run needs; nothing was changed."""


def _take(try_lock, seconds, interval):
    """Try a non-blocking lock until it is taken (True) or `seconds` have passed (False)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            try_lock()
            return True
        except OSError:  # EAGAIN/EACCES: held by another process
            if time.monotonic() >= deadline:
                return False
            time.sleep(interval)


def _holder(fd):
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        return os.read(fd, 512).decode("utf-8", "replace").strip()
    except OSError:
        return ""


@contextlib.contextmanager
def run_lock(host, wait_seconds=0):
    """Hold the host's engine lock for the block; raise LockBusy naming its holder if taken."""
    real = host.path(RUN_LOCK)
    os.makedirs(os.path.dirname(real), exist_ok=True)
    fd = os.open(real, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if not _take(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB), wait_seconds, 0.2):
            holder = _holder(fd) or "a run that has not said who it is yet"
            raise LockBusy(
                f"another linux_controls run is under way on this host ({holder}; lock {RUN_LOCK}): "
                "this run stopped before changing anything; run it again once that one has finished"
            )
        note = f"run {host.run_id}, pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S %Z')}\n"
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, note.encode(), 0)
        except OSError:
            pass  # a full /run: the lock holds all the same, only the note naming its holder is missing
        yield
    finally:
        os.close(fd)


class AccountLock:
    """lckpwdf for the engine: taken once, released once, whichever comes first of commit or the end of the run."""

    def __init__(self, host):
        self.host = host
        self.fd = None

    def acquire(self, timeout=ACCOUNT_LOCK_SECONDS):
        if self.fd is not None:
            return
        real = self.host.path(ACCOUNT_LOCK)
        fd = os.open(real, os.O_WRONLY | os.O_CREAT, 0o600)
        if not _take(lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB), timeout, 0.1):
            os.close(fd)
            raise LockBusy(
                f"the account files are locked by another program ({ACCOUNT_LOCK}, as useradd and passwd "
                f"lock them) for more than {timeout} s: this run stopped before changing anything"
            )
        self.fd = fd

    def release(self):
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the record lock
            self.fd = None

    @property
    def held(self):
        return self.fd is not None
