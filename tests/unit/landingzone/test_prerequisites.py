"""A missing podman or a broken image build ends in one clear message."""

import shutil
import socket
from pathlib import Path

import pytest

from landingzone.cli import main
from landingzone.errors import LandingzoneError
from landingzone.lab.images import Recipe, build_image
from landingzone.lab.podman import Podman

ROOT = Path(__file__).resolve().parents[3]


def test_missing_podman_says_what_to_install(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(ROOT)
    assert main(["lab", "status", "demo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("landingzone: podman is not installed")
    assert "make setup" in err


def _closed_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(
    shutil.which("debootstrap") is None or shutil.which("podman") is None,
    reason="needs debootstrap and podman, which `make setup` installs",
)
def test_unreachable_mirror_fails_the_build_with_its_log(monkeypatch):
    # A mirror on a closed loopback port: debootstrap fails at once, nothing is downloaded.
    monkeypatch.setenv("LZ_DEBIAN_MIRROR", f"http://127.0.0.1:{_closed_loopback_port()}/debian")
    recipe = Recipe.load(ROOT)
    with pytest.raises(LandingzoneError) as failure:
        build_image(Podman(ROOT), recipe, "bookworm")
    message = str(failure.value)
    assert message.startswith("image build failed while bootstrapping Debian bookworm")
    assert "full log: /var/tmp/landingzone-image-bookworm-" in message
    assert "make images" in message
    log = Path(message.split("full log: ")[1].split()[0].rstrip(";"))
    assert log.is_file()
    log.unlink()
