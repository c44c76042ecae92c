"""Nothing of a lab VM outlives it: not when it is stopped, and not qemu when
the Python process that started it is killed without any cleanup."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from landingzone.lab.qemu import VirtualMachine

pytestmark = pytest.mark.vm


def _is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, timeout=30)
    return path


def test_stopping_kills_qemu_and_deletes_the_overlay(vm_image, key):
    with VirtualMachine(vm_image, public_key=key.with_suffix(".pub"), private_key=key) as machine:
        pid, workdir = machine.process.pid, machine.workdir
        assert (workdir / "overlay.qcow2").is_file()
        assert _is_running(pid)
    assert not _is_running(pid)
    assert not workdir.exists()


STARTER = """
import sys, time
from pathlib import Path
from landingzone.lab.qemu import VirtualMachine
from landingzone.lab.vm import VmImage
machine = VirtualMachine(VmImage(Path(sys.argv[1])), Path(sys.argv[2] + ".pub"), Path(sys.argv[2]))
machine.start()
print(machine.process.pid, machine.workdir, flush=True)
time.sleep(600)
"""


def test_qemu_dies_with_a_killed_parent(vm_image, key):
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(vm_image.directory), str(key)], stdout=subprocess.PIPE, text=True
    )
    workdir = None
    try:
        pid, workdir = starter.stdout.readline().split()
        os.kill(starter.pid, signal.SIGKILL)
        starter.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _is_running(int(pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _is_running(int(pid)), "qemu outlived the process that started it"
    finally:
        if starter.poll() is None:
            starter.kill()
        # With no cleanup run, the overlay stays behind: this test removes it.
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
