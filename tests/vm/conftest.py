"""Fixtures for the tests that boot a Debian VM under qemu.

Each test module of the full VM proof gets its own VM (lab_vm: booted once,
shared by the module's tests), with its own SSH key. The smokes `make test`
runs share one VM (hardened_vm): a boot under software emulation costs more
than a minute of CI's time, and both smokes can run on the same VM, one with
the baseline's kernel controls in force after a reboot. qemu is always killed and
the overlay deleted when the module (or, for the shared VM, the session) ends,
pass or fail. What is worth reading afterwards (console log, Ansible reports,
inventory) stays in tests/output/vm/<label>/ until the next run with that
label: pytest's own temporary directories are rotated away by any other pytest
run on the machine.
"""

import os
import shutil
import subprocess
import time
from contextlib import contextmanager

import grub_boot
import pytest
from catalog import KERNEL_TYPES, VM_LEVEL, ids_not_of_types, load_controls
from lab_vm import ROOT, TIMINGS, LabVm, record_timing

from landingzone.lab.qemu import VirtualMachine
from landingzone.lab.vm import ensure_vm_image

OUTPUT = ROOT / "tests" / "output" / "vm"
# Under software emulation a boot takes one to four minutes, more while the other pytest worker
# keeps the cores busy; the bound only stops a VM that never comes up.
BOOT_TIMEOUT = 600
KERNEL_APPLY_TIMEOUT = 600
SMOKE_VM = "smoke_vm"
# The smokes' VM while it runs (at most one): pytest_runtest_teardown stops it early.
_smoke_vms: list[LabVm] = []


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


@contextmanager
def booted_vm(vm_image, label, boot_loader=None):
    """A VM of its own key and directory, up to SSH; stopped on the way out, pass or fail. With
    ``boot_loader``, qemu starts that (GRUB) in the kernel's place, at every boot."""
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
    machine = VirtualMachine(vm_image, public_key=key.with_suffix(".pub"), private_key=key, boot_loader=boot_loader)
    vm = LabVm(machine, workdir, label)
    try:
        machine.start()
        seconds = machine.wait_for_ssh(timeout=BOOT_TIMEOUT)
        record_timing(f"{label}: boot to SSH", seconds)
        vm.write_inventory()
        yield vm
    finally:
        shut_down(vm)


def shut_down(vm):
    """Stop the VM and forget its key; doing it twice does nothing more."""
    vm.close_ssh_masters()
    vm.machine.stop(keep_console_in=vm.workdir)
    # The key opened a VM that no longer exists; no need to keep it lying around.
    vm.machine.private_key.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def lab_vm(request, vm_image):
    """A fresh VM for one module of the full proof: its tests count on a VM nothing else touched."""
    with booted_vm(vm_image, request.module.__name__) as vm:
        yield vm


@pytest.fixture(scope="module")
def grub_booted_vm(request, vm_image):
    """A fresh VM for one module that boots through GRUB at every boot, the first before the VM has a
    GRUB configuration of its own (grub_boot.py)."""
    with booted_vm(vm_image, request.module.__name__, boot_loader=grub_boot.boot_loader()) as vm:
        yield vm


@pytest.fixture(scope="session")
def smoke_vm(vm_image):
    """The one VM the smokes share (see hardened_vm); stopped after the last test that uses it."""
    with booted_vm(vm_image, "smoke") as vm:
        _smoke_vms.append(vm)
        yield vm


def _uses_smoke_vm(item) -> bool:
    return item is not None and SMOKE_VM in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(items):
    # The tests on the smokes' VM run one after the other, ahead of those that boot a VM of their
    # own, so that the shared VM can stop before another boots (two VMs under TCG at once would each
    # get half the cores they need). A stable sort: the rest keeps its order.
    items.sort(key=lambda item: not _uses_smoke_vm(item))


def pytest_runtest_teardown(item, nextitem):
    # A session fixture would otherwise live until the very end of the run, next to the other VMs.
    if _uses_smoke_vm(item) and not _uses_smoke_vm(nextitem):
        while _smoke_vms:
            shut_down(_smoke_vms.pop())


@pytest.fixture(scope="session")
def kernel_apply(smoke_vm):
    """The baseline applied with only its kernel-level controls (the others switched off)."""
    return smoke_vm.playbook(
        ROOT / "playbooks" / "baseline.yml",
        {
            "linux_baseline_level": VM_LEVEL,
            "linux_baseline_disabled_controls": ids_not_of_types(load_controls(), *KERNEL_TYPES),
        },
        timeout=KERNEL_APPLY_TIMEOUT,
    )


@pytest.fixture(scope="session")
def hardened_vm(smoke_vm, kernel_apply):
    """The smokes' VM once the kernel controls are applied and it has rebooted, whichever smoke asks first.

    Whatever a smoke does on it comes after the reboot, so no smoke's proof depends on the order the
    modules run in: the baseline smoke reads the kernel as the reboot left it (the backup smoke
    changes no sysctl, module, audit rule or mount), and the backup smoke runs its units on a host
    hardened as a municipality's is.
    """
    smoke_vm.reboot()
    return smoke_vm
