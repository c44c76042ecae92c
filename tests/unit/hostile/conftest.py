"""The real tools of a Debian host for the hostile-string tests, where this controller has none.

chronyd, rsyslogd, sshd and visudo are not installed on the controller (their packages would
start daemons here). The lab image has them: it is mounted read-only (podman image mount, no
container is started) and each tool runs chrooted into it, in a mount namespace of the test's
own where the files to check are bound onto its /tmp. The tools only read and print.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

LAB_IMAGE = "localhost/landingzone-lab:bookworm"
ROOT = Path(__file__).resolve().parents[3]


def _podman(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, CONTAINERS_CONF=str(ROOT / "lab" / "containers.conf"))
    return subprocess.run(["podman", *args], capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="session")
def lab_tool():
    """run(argv, files) -> CompletedProcess of ``argv`` run in the lab image, with ``files``
    ({name: text}) readable under /tmp there."""
    if not shutil.which("podman") or _podman("image", "exists", LAB_IMAGE).returncode != 0:
        pytest.skip(f"needs the lab image {LAB_IMAGE} (make images)")
    mounted = _podman("image", "mount", LAB_IMAGE)
    assert mounted.returncode == 0, mounted.stderr
    root = mounted.stdout.strip()

    def run(argv: list[str], files: dict[str, str]) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory(prefix="lz-hostile-") as directory:
            for name, text in files.items():
                Path(directory, name).write_text(text)
            script = 'mount --bind "$1" "$2/tmp" && shift 2 && exec chroot "$0" "$@"'
            command = ["unshare", "--mount", "--fork", "sh", "-c", script, root, directory, root, *argv]
            return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)

    yield run
    _podman("image", "unmount", LAB_IMAGE)
