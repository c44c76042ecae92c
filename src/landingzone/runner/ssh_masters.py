"""Each municipality run opens ssh master connections of its own and closes them when it ends.

Ansible keeps one ssh connection per host open (ControlPersist) and by default shares it,
through ~/.ansible/cp, with every later run that names the same host and user. A later run
would then ride a connection whose host key was checked before it started: before a key
was revoked, or before a lab host was torn down and made again at the same name (where the
old connection is dead, and the run fails with a broken pipe instead of connecting anew).
So every run keeps its masters in a directory of its own, short enough for a socket path,
and tells them to exit when it ends: each run checks every host key itself, and leaves no
ssh process behind.
"""

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def close_masters(directory: Path) -> None:
    for socket in directory.iterdir():
        subprocess.run(
            ["ssh", "-F", "/dev/null", "-o", f"ControlPath={socket}", "-O", "exit", "master"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=15,
            check=False,
        )


@contextmanager
def run_masters() -> Iterator[Path]:
    """A fresh directory for the run's ssh masters, emptied and removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="lz-ssh-"))
    try:
        yield directory
    finally:
        close_masters(directory)
        shutil.rmtree(directory, ignore_errors=True)
