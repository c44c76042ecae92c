"""LZ-MAC-002 and LZ-MAC-003 on a host that boots through GRUB (`make test-slow`): the lab VM booted
by GRUB (grub_boot.py) rather than by qemu, its GRUB configuration written by update-grub in the VM.

Booted without AppArmor's arguments, the audit finds both controls failing (GRUB boots this host:
not not_applicable, as on the other lab VMs); the apply writes the baseline's GRUB drop-in and runs
update-grub, and says a reboot is needed; after a reboot through GRUB the kernel runs with
apparmor=1 and security=apparmor, AppArmor is enabled, and the audit passes. Only the two controls run.
"""

from __future__ import annotations

import grub_boot
import pytest
from backup_vm import put_in_place, sh
from catalog import VM_LEVEL, load_controls
from lab_vm import ROOT

pytestmark = [pytest.mark.vm, pytest.mark.slow]
CONTROLS = {"LZ-MAC-002": "apparmor=1", "LZ-MAC-003": "security=apparmor"}
VARS = {
    "linux_baseline_level": VM_LEVEL,
    "linux_baseline_disabled_controls": [c["id"] for c in load_controls() if c["id"] not in CONTROLS],
}
VM_DEBS = "/var/cache/lz-grub-debs"
DROP_IN = "/etc/default/grub.d/60-landingzone.cfg"


@pytest.fixture(scope="module")
def grub_vm(grub_booted_vm):
    """The VM with GRUB's packages and a grub.cfg, as a host that boots through GRUB has them."""
    vm = grub_booted_vm
    put_in_place(vm, {f"{VM_DEBS}/{deb.name}": (deb.read_bytes(), 0o644) for deb in grub_boot.vm_debs()})
    sh(vm, grub_boot.SETUP.format(debs=VM_DEBS, settings=grub_boot.LAB_GRUB_SETTINGS), timeout=600)
    return vm


def statuses(run) -> dict[str, tuple[str, bool]]:
    return {r["id"]: (r["status"], r["changed"]) for r in run.engine_result()["results"]}


def command_line(vm) -> list[str]:
    return vm.ssh("cat /proc/cmdline").split()


@pytest.fixture(scope="module")
def audited_before(grub_vm):
    return grub_vm.playbook(ROOT / "playbooks" / "audit.yml", VARS)


@pytest.fixture(scope="module")
def applied(grub_vm, audited_before):
    return grub_vm.playbook(ROOT / "playbooks" / "baseline.yml", VARS)


@pytest.fixture(scope="module")
def rebooted(grub_vm, applied):
    grub_vm.reboot()
    return grub_vm


@pytest.fixture(scope="module")
def audited_after(rebooted):
    return rebooted.playbook(ROOT / "playbooks" / "audit.yml", VARS)


def test_booted_without_apparmors_arguments_the_audit_fails_both(grub_vm, audited_before):
    running = command_line(grub_vm)
    assert not set(CONTROLS.values()) & set(running), running
    # The audit predicts the apply's change (check mode), and a reboot after it.
    assert statuses(audited_before) == {control: ("fail", True) for control in CONTROLS}
    assert all(r["reboot_required"] for r in audited_before.engine_result()["results"])


def test_the_apply_writes_the_drop_in_and_grub_cfg_and_asks_for_a_reboot(grub_vm, applied):
    results = {r["id"]: r for r in applied.engine_result()["results"]}
    assert {control: (r["status"], r["changed"]) for control, r in results.items()} == {
        control: ("fixed", True) for control in CONTROLS
    }
    assert all(r.get("reboot_required") for r in results.values()), results
    assert set(CONTROLS.values()) <= set(sh(grub_vm, f"cat {DROP_IN}").replace('"', " ").split())
    linux_lines = [
        line for line in sh(grub_vm, "cat /boot/grub/grub.cfg").splitlines() if line.strip().startswith("linux")
    ]
    assert linux_lines and all(set(CONTROLS.values()) <= set(line.split()) for line in linux_lines), linux_lines


def test_after_a_reboot_through_grub_the_kernel_runs_with_apparmor_and_the_audit_passes(rebooted, audited_after):
    running = command_line(rebooted)
    # BOOT_IMAGE: GRUB, not qemu, started this kernel.
    assert running[0].startswith("BOOT_IMAGE=") and set(CONTROLS.values()) <= set(running), running
    assert sh(rebooted, "cat /sys/module/apparmor/parameters/enabled").strip() == "Y"
    assert statuses(audited_after) == {control: ("pass", False) for control in CONTROLS}
