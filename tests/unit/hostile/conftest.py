"""The real tools of a Debian host for the hostile-string tests, where this controller has none;
and a root for systemd-analyze verify.

chronyd, rsyslogd, sshd and visudo are not installed on the controller (their packages would
start daemons here). The lab image has them (lab_image_root, tests/unit/conftest.py): each tool
runs chrooted into it, in a mount namespace of the test's own where the files to check are bound
onto its /tmp. The tools only read and print.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from systemd_units import make_root  # noqa: E402


@pytest.fixture(scope="session")
def lab_tool(lab_image_root):
    """run(argv, files) -> CompletedProcess of ``argv`` run in the lab image, with ``files``
    ({name: text}) readable under /tmp there."""

    def run(argv: list[str], files: dict[str, str]) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory(prefix="lz-hostile-") as directory:
            for name, text in files.items():
                Path(directory, name).write_text(text)
            script = 'mount --bind "$1" "$2/tmp" && shift 2 && exec chroot "$0" "$@"'
            command = ["unshare", "--mount", "--fork", "sh", "-c", script, lab_image_root, directory, lab_image_root]
            return subprocess.run([*command, *argv], capture_output=True, text=True, check=False, timeout=60)

    return run


@pytest.fixture(scope="session")
def systemd_root(tmp_path_factory):
    """A root for systemd-analyze verify: this machine's unit files and the roles' programs."""
    if not shutil.which("systemd-analyze"):
        pytest.skip("needs systemd-analyze")
    return make_root(tmp_path_factory.mktemp("systemd-root"))
