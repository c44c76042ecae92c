"""The whole baseline on a real kernel (`make test-vm`, not in CI): applied,
applied again without a change, rebooted, then every kernel-level control,
the SSH hardening and the firewall checked live, and the engine's own audit
clean, every audit rule judged by the rules the kernel lists.
The attack on the loaded audit rules is test_audit_rules_live.py."""

import secrets
import subprocess

import pytest
from catalog import BOOT_LOADER_TYPES, KERNEL_TYPES, VM_LEVEL, load_controls, of_types, selected_for_server
from kernel_checks import (
    assert_apparmor_confines,
    assert_apparmor_status_in_evidence,
    assert_audit_rules_judged_by_the_kernel,
    assert_audit_rules_loaded_and_locked,
    assert_modules_cannot_load,
    assert_mount_options_live,
    assert_operator_logs_in_and_sudo_works,
    assert_sysctls_live,
)
from lab_vm import ROOT
from service_checks import assert_firewall_loaded, assert_sshd_options_in_effect

pytestmark = pytest.mark.vm

CONTROLS = selected_for_server(load_controls())
KERNEL_CONTROLS = of_types(CONTROLS, *KERNEL_TYPES)
# Controls for other host kinds only (a container's auditd drop-ins): the engine judges them not_applicable here.
FOR_OTHER_KINDS = {control["id"] for control in load_controls() if "server" not in control["applies_to"]}
AUDIT_CONTROLS = of_types(CONTROLS, "audit_rule")
# qemu gives the VM its kernel and command line: no GRUB, so the boot-line controls judge nothing here.
NO_BOOT_LOADER = {control["id"] for control in of_types(CONTROLS, *BOOT_LOADER_TYPES)}
APPLY_TIMEOUT = 900
# SSH forwarded by qemu reaches the VM from its user-network gateway: that is
# the lab's management network.
QEMU_GATEWAY = "10.0.2.2/32"


def _throwaway_password_hash() -> str:
    """The break-glass control needs a hash; nobody ever needs this password."""
    result = subprocess.run(
        ["openssl", "passwd", "-6", "-stdin"],
        input=secrets.token_urlsafe(24),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return result.stdout.strip()


@pytest.fixture(scope="module")
def baseline_vars():
    return {
        "linux_baseline_level": VM_LEVEL,
        "linux_baseline_management_networks": [QEMU_GATEWAY],
        "linux_baseline_breakglass_password_hash": _throwaway_password_hash(),
        # The VM's operator gets sudo through lz-operators, as on the lab image, not Debian's `sudo`
        # group: with the default, LZ-SUDO-013 would be held back, naming it.
        "linux_baseline_sudo_group": "lz-operators",
    }


@pytest.fixture(scope="module")
def first_apply(lab_vm, baseline_vars):
    return lab_vm.playbook(ROOT / "playbooks" / "baseline.yml", baseline_vars, timeout=APPLY_TIMEOUT)


@pytest.fixture(scope="module")
def second_apply(lab_vm, baseline_vars, first_apply):
    return lab_vm.playbook(ROOT / "playbooks" / "baseline.yml", baseline_vars, timeout=APPLY_TIMEOUT)


@pytest.fixture(scope="module")
def rebooted_vm(lab_vm, second_apply):
    lab_vm.reboot()
    return lab_vm


@pytest.fixture(scope="module")
def audit_after_reboot(rebooted_vm, baseline_vars):
    return rebooted_vm.playbook(ROOT / "playbooks" / "audit.yml", baseline_vars, timeout=APPLY_TIMEOUT)


def _by_status(engine_result: dict, *statuses: str) -> dict[str, str]:
    return {
        result["id"]: result.get("reason", "") for result in engine_result["results"] if result["status"] in statuses
    }


def test_first_apply_enforces_every_control(first_apply):
    engine = first_apply.engine_result()
    ours = [result["id"] for result in engine["results"] if result["id"] not in FOR_OTHER_KINDS]
    assert sorted(ours) == sorted(control["id"] for control in CONTROLS)
    assert not _by_status(engine, "fail", "error")
    # On a VM every control of a server applies: not_applicable would hide a gap. The engine
    # reports the controls of other host kinds (a container's) as not_applicable, and only those.
    # The boot-line controls are not_applicable too, for their one reason: no GRUB boots this VM.
    not_applicable = _by_status(engine, "not_applicable")
    assert set(not_applicable) == ({r["id"] for r in engine["results"]} & FOR_OTHER_KINDS) | NO_BOOT_LOADER
    assert all(not_applicable[cid].startswith("this host does not boot through GRUB") for cid in NO_BOOT_LOADER)


def test_second_apply_changes_nothing(second_apply):
    assert second_apply.changed == 0, f"changed tasks: {second_apply.changed_tasks()}"
    results = second_apply.engine_result()["results"]
    assert not [result["id"] for result in results if result["changed"]]
    # Before the reboot, what only a reboot brings (a new mount, unloading a
    # module) is still reported; nothing else may be.
    not_yet = {
        result["id"]: result["reason"]
        for result in results
        if result["status"] != "pass" and result["id"] not in FOR_OTHER_KINDS | NO_BOOT_LOADER
    }
    assert all(result["reboot_required"] for result in results if result["id"] in not_yet), not_yet


def test_operator_still_logs_in_with_its_key_and_sudo(rebooted_vm):
    assert_operator_logs_in_and_sudo_works(rebooted_vm)


def test_sysctl_values_are_live(rebooted_vm):
    assert_sysctls_live(rebooted_vm, of_types(KERNEL_CONTROLS, "sysctl"))


def test_blacklisted_modules_cannot_be_loaded(rebooted_vm):
    assert_modules_cannot_load(rebooted_vm, of_types(KERNEL_CONTROLS, "kernel_module"))


def test_world_writable_filesystems_are_mounted_nodev_nosuid_noexec(rebooted_vm):
    assert_mount_options_live(rebooted_vm, of_types(KERNEL_CONTROLS, "mount_option"))


def test_audit_rules_are_loaded_and_locked(rebooted_vm):
    assert_audit_rules_loaded_and_locked(rebooted_vm, of_types(KERNEL_CONTROLS, "audit_rule"))


def test_ssh_hardening_is_in_effect(rebooted_vm, baseline_vars):
    assert_sshd_options_in_effect(rebooted_vm, of_types(CONTROLS, "sshd_option"), baseline_vars)


def test_firewall_is_loaded_and_ssh_still_reachable(rebooted_vm):
    assert_firewall_loaded(rebooted_vm)
    # This very check came in over SSH, through the firewall, after the reboot.
    assert rebooted_vm.ssh("echo reachable").strip() == "reachable"


def test_engine_audit_after_reboot_finds_nothing_to_fix(audit_after_reboot):
    engine = audit_after_reboot.engine_result()
    assert not _by_status(engine, "fail", "error")


def test_apparmor_confines_every_program_that_has_a_profile(rebooted_vm, audit_after_reboot):
    assert_apparmor_confines(rebooted_vm, of_types(KERNEL_CONTROLS, "apparmor_profile_mode"))
    results = audit_after_reboot.engine_result()["results"]
    assert_apparmor_status_in_evidence(results, of_types(KERNEL_CONTROLS, "apparmor_profile_mode"))


def test_every_audit_rule_is_judged_by_the_rules_the_kernel_has_loaded(audit_after_reboot):
    assert_audit_rules_judged_by_the_kernel(audit_after_reboot.engine_result()["results"], AUDIT_CONTROLS, loaded=True)
