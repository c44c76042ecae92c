"""Fixtures for the tests that boot a Debian VM under qemu.

Each test module gets its own VM (booted once, shared by the module's tests),
with its own SSH key; qemu is always killed and the overlay deleted when the
module ends, pass or fail. What is worth reading afterwards (console log,
Ansible reports, inventory) stays in tests/output/vm/<module>/ until the
next run of that module: pytest's own temporary directories are rotated away
by any other pytest run on the machine.
"""

import os
import shutil
import subprocess
import time

import pytest
from lab_vm import ROOT, TIMINGS, LabVm, record_timing

from landingzone.lab.qemu import VirtualMachine
from landingzone.lab.vm import ensure_vm_image

OUTPUT = ROOT / "tests" / "output" / "vm"
# Under software emulation a boot takes one to four minutes, more while the other pytest worker
# keeps the cores busy; the bound only stops a VM that never comes up.
BOOT_TIMEOUT = 600


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("lab VM timings")
        for what, seconds in TIMINGS:
            terminalreporter.write_line(f"{seconds:7.1f} s  {what}")


@pytest.fixture(scope="session")
def vm_image():
    started = time.monotonic()
    image = ensure_vm_image(ROOT, log=lambda message: None)
    record_timing(f"VM disk {image.directory.name} ready (cached or built)", time.monotonic() - started)
    return image


@pytest.fixture(scope="module")
def lab_vm(request, vm_image):
    label = request.module.__name__
    # Each worker its own directory: were a module's tests ever spread over two workers (a --dist
    # other than make test's, or xdist_group marks, which group nothing under pytest 9), the first to
    # finish would otherwise delete the other's key, and that VM would boot to its login prompt with
    # no way in.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    workdir = OUTPUT / (f"{label}-{worker}" if worker else label)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    key = workdir / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"lz-vm-{label}", "-f", str(key)],
        check=True,
        timeout=30,
    )
    machine = VirtualMachine(vm_image, public_key=key.with_suffix(".pub"), private_key=key)
    vm = LabVm(machine, workdir, label)
    try:
        machine.start()
        seconds = machine.wait_for_ssh(timeout=BOOT_TIMEOUT)
        record_timing(f"{label}: boot to SSH", seconds)
        vm.write_inventory()
        yield vm
    finally:
        vm.close_ssh_masters()
        machine.stop(keep_console_in=workdir)
        # The key opened a VM that no longer exists; no need to keep it lying around.
        key.unlink(missing_ok=True)
