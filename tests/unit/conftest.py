"""Fixtures shared by the unit tests of several areas."""

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

LAB_IMAGE = "localhost/landingzone-lab:bookworm"
LAB_IMAGE_TRIXIE = "localhost/landingzone-lab:trixie"
ROOT = Path(__file__).resolve().parents[2]


def _podman(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, CONTAINERS_CONF=str(ROOT / "lab" / "containers.conf"))
    return subprocess.run(["podman", *args], capture_output=True, text=True, env=env, check=False)


@contextlib.contextmanager
def mounted_image(image):
    """The root directory of a lab image, mounted by podman; no container is started."""
    if not shutil.which("podman") or _podman("image", "exists", image).returncode != 0:
        pytest.skip(f"needs the lab image {image} (make images)")
    mounted = _podman("image", "mount", image)
    assert mounted.returncode == 0, mounted.stderr
    try:
        yield mounted.stdout.strip()
    finally:
        _podman("image", "unmount", image)


@pytest.fixture(scope="session")
def lab_image_root():
    """The root directory of the Debian 12 lab image, for tools this controller lacks (sshd,
    visudo, rsyslogd, chronyd: their packages would start daemons here). A test runs a tool
    chrooted into it, in a mount namespace of its own."""
    with mounted_image(LAB_IMAGE) as root:
        yield root


@pytest.fixture(scope="session")
def lab_image_root_trixie():
    """The same for the Debian 13 lab image, where a tool's output differs between releases."""
    with mounted_image(LAB_IMAGE_TRIXIE) as root:
        yield root
