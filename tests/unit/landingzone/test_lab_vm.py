"""The lab VM disk recipe and the qemu command line, without booting anything."""

import shutil
import socket
from pathlib import Path

import pytest

from landingzone.errors import LandingzoneError
from landingzone.lab.qemu import VirtualMachine
from landingzone.lab.vm import VmImage, VmRecipe, ensure_vm_image, vm_image

ROOT = Path(__file__).resolve().parents[3]


def _recipe_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "lab" / "vm", tmp_path / "lab" / "vm")
    return tmp_path


def test_disk_hash_follows_the_recipe_and_the_suite(tmp_path):
    root = _recipe_copy(tmp_path)
    before = VmRecipe.load(root).digest("bookworm")
    assert VmRecipe.load(root).digest("trixie") != before
    with open(root / "lab" / "vm" / "customize.sh", "a", encoding="utf-8") as script:
        script.write("true\n")
    assert VmRecipe.load(root).digest("bookworm") != before


def test_unknown_suite_is_refused_before_any_build(tmp_path, monkeypatch):
    monkeypatch.setenv("LZ_VM_CACHE", str(tmp_path / "cache"))
    with pytest.raises(LandingzoneError, match="no recipe for 'sid'"):
        ensure_vm_image(ROOT, "sid")
    assert not (tmp_path / "cache").exists()


def _closed_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("debootstrap", "mkfs.ext4", "qemu-img")),
    reason="needs the packages of lab/vm/host-packages.txt, which `make setup` installs",
)
def test_unreachable_mirror_fails_the_build_with_its_log(tmp_path, monkeypatch):
    # A mirror on a closed loopback port: debootstrap fails at once, nothing is downloaded.
    monkeypatch.setenv("LZ_DEBIAN_MIRROR", f"http://127.0.0.1:{_closed_loopback_port()}/debian")
    monkeypatch.setenv("LZ_VM_CACHE", str(tmp_path / "cache"))
    with pytest.raises(LandingzoneError) as failure:
        ensure_vm_image(ROOT, "bookworm", log=lambda message: None)
    message = str(failure.value)
    assert message.startswith("VM disk build failed while bootstrapping Debian bookworm")
    assert "full log:" in message
    # Only the log is left: no half-built disk that a later run could take for a finished one.
    leftovers = {path.name for path in (tmp_path / "cache").iterdir()}
    assert leftovers == {"bookworm.lock", f"{vm_image(VmRecipe.load(ROOT), 'bookworm').directory.name}.log"}


def test_qemu_emulates_one_cpu_and_forwards_only_ssh_on_loopback(tmp_path):
    image = VmImage(tmp_path / "image")
    machine = VirtualMachine(image, public_key=tmp_path / "key.pub", private_key=tmp_path / "key")
    machine.workdir = tmp_path
    command = machine.qemu_command(tmp_path / "overlay.qcow2", 2222)

    def value_of(option: str) -> str:
        return command[command.index(option) + 1]

    assert value_of("-accel") == "tcg"
    assert value_of("-smp") == "1"
    assert value_of("-netdev") == "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:2222-:22"
    assert command.count("-netdev") == 1
    assert value_of("-drive").startswith(f"file={tmp_path / 'overlay.qcow2'},")
    assert str(image.disk) not in " ".join(command)


def test_missing_qemu_names_the_packages_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    machine = VirtualMachine(VmImage(tmp_path), public_key=tmp_path / "k.pub", private_key=tmp_path / "k")
    with pytest.raises(LandingzoneError, match="lab/vm/host-packages.txt"):
        machine.start()
