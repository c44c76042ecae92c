"""The short proof CI runs: the kernel-level controls of the baseline, applied
to a real kernel, still in force after a reboot.

Only the sysctl, kernel_module, audit_rule, mount_option and AppArmor controls
run (the others are switched off through linux_baseline_disabled_controls); the full
baseline is test_baseline_full.py. The VM, the apply and the reboot are the
session's (conftest.py: kernel_apply, hardened_vm), shared with the backup
units' smoke.
"""

import pytest
from catalog import KERNEL_TYPES, load_controls, of_types, selected_for_server
from kernel_checks import (
    assert_apparmor_confines,
    assert_apparmor_status_in_evidence,
    assert_audit_rules_judged_by_the_kernel,
    assert_audit_rules_loaded_and_locked,
    assert_modules_cannot_load,
    assert_mount_options_live,
    assert_operator_logs_in_and_sudo_works,
    assert_sshd_left_unconfined,
    assert_sysctls_live,
)

pytestmark = [pytest.mark.vm, pytest.mark.vm_smoke]

CONTROLS = selected_for_server(load_controls())
KERNEL_CONTROLS = of_types(CONTROLS, *KERNEL_TYPES)


def test_engine_enforced_every_kernel_control_on_a_real_kernel(kernel_apply):
    results = kernel_apply.engine_result()["results"]
    statuses = {result["id"]: result["status"] for result in results}
    assert sorted(statuses) == sorted(control["id"] for control in KERNEL_CONTROLS)
    # On a real kernel nothing of these is out of reach: not_applicable would hide a gap.
    not_enforced = {control_id: status for control_id, status in statuses.items() if status not in ("pass", "fixed")}
    assert not not_enforced
    # Judged by the kernel's own list before the load, not by the rules files alone.
    assert_audit_rules_judged_by_the_kernel(results, of_types(KERNEL_CONTROLS, "audit_rule"), loaded=False)
    # What AppArmor's own tool printed on the host is in the evidence of the run.
    assert_apparmor_status_in_evidence(results, of_types(KERNEL_CONTROLS, "apparmor_profile_mode"))


def test_operator_still_logs_in_with_its_key_and_sudo(hardened_vm):
    assert_operator_logs_in_and_sudo_works(hardened_vm)


def test_sysctl_values_are_live(hardened_vm):
    assert_sysctls_live(hardened_vm, of_types(KERNEL_CONTROLS, "sysctl"))


def test_blacklisted_modules_cannot_be_loaded(hardened_vm):
    assert_modules_cannot_load(hardened_vm, of_types(KERNEL_CONTROLS, "kernel_module"))


def test_world_writable_filesystems_are_mounted_nodev_nosuid_noexec(hardened_vm):
    assert_mount_options_live(hardened_vm, of_types(KERNEL_CONTROLS, "mount_option"))


def test_audit_rules_are_loaded_and_locked(hardened_vm):
    assert_audit_rules_loaded_and_locked(hardened_vm, of_types(KERNEL_CONTROLS, "audit_rule"))


def test_apparmor_confines_every_program_that_has_a_profile(hardened_vm):
    assert_apparmor_confines(hardened_vm, of_types(KERNEL_CONTROLS, "apparmor_profile_mode"))
    assert_sshd_left_unconfined(hardened_vm)
