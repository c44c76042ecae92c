"""Fixtures shared by the unit tests of several areas."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

LAB_IMAGE = "localhost/landingzone-lab:bookworm"
ROOT = Path(__file__).resolve().parents[2]


def _podman(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, CONTAINERS_CONF=str(ROOT / "lab" / "containers.conf"))
    return subprocess.run(["podman", *args], capture_output=True, text=True, env=env, check=False)


@pytest.fixture(scope="session")
def lab_image_root():
    """The root directory of the lab image, for tools this controller lacks (sshd, visudo,
    rsyslogd, chronyd: their packages would start daemons here). podman mounts the image; no
    container is started. A test runs a tool chrooted into it, in a mount namespace of its own."""
    if not shutil.which("podman") or _podman("image", "exists", LAB_IMAGE).returncode != 0:
        pytest.skip(f"needs the lab image {LAB_IMAGE} (make images)")
    mounted = _podman("image", "mount", LAB_IMAGE)
    assert mounted.returncode == 0, mounted.stderr
    yield mounted.stdout.strip()
    _podman("image", "unmount", LAB_IMAGE)
