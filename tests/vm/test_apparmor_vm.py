"""The AppArmor controls repair real drift on a real kernel (`make test-vm`, not in CI).

Before the baseline runs, chronyd's profile is loaded in complain mode and chronyd is
restarted while its profile is out of the kernel, so it runs unconfined once the profile is
back: the two things LZ-MAC-006 and LZ-MAC-005 exist to catch. Check mode predicts both
repairs and changes nothing; the apply reloads the profile in enforce mode and restarts
chrony under it; aa-status and the kernel then show every profile enforcing and chronyd
confined, an audit passes, and the operator still logs in. Only the AppArmor controls run.
"""

import pytest
from catalog import VM_LEVEL, ids_not_of_types, load_controls, of_types, selected_for_server
from kernel_checks import (
    assert_apparmor_confines,
    assert_operator_logs_in_and_sudo_works,
    assert_sshd_left_unconfined,
)
from lab_vm import ROOT

pytestmark = [pytest.mark.vm, pytest.mark.slow]

APPARMOR_TYPES = ("apparmor_profile_mode", "apparmor_confined_process")
CONTROLS = of_types(selected_for_server(load_controls()), *APPARMOR_TYPES)
VARS = {
    "linux_baseline_level": VM_LEVEL,
    "linux_baseline_disabled_controls": ids_not_of_types(load_controls(), *APPARMOR_TYPES),
}
CHRONYD_PROFILE = "/etc/apparmor.d/usr.sbin.chronyd"


def chronyd_label(vm) -> str:
    return vm.ssh("sudo -n cat /proc/$(pgrep -o -x chronyd)/attr/current").strip()


@pytest.fixture(scope="module")
def drifted(lab_vm):
    lab_vm.ssh(
        f"sudo -n apparmor_parser --remove {CHRONYD_PROFILE}"
        " && sudo -n systemctl restart chrony.service"
        f" && sudo -n apparmor_parser --replace -C {CHRONYD_PROFILE}"
    )
    assert chronyd_label(lab_vm) == "unconfined"
    assert "/usr/sbin/chronyd (complain)" in lab_vm.ssh("sudo -n cat /sys/kernel/security/apparmor/profiles")
    return lab_vm


@pytest.fixture(scope="module")
def predicted(drifted):
    return drifted.playbook(ROOT / "playbooks" / "baseline.yml", VARS, check_mode=True, must_succeed=False)


@pytest.fixture(scope="module")
def applied(drifted, predicted):
    return drifted.playbook(ROOT / "playbooks" / "baseline.yml", VARS)


@pytest.fixture(scope="module")
def audited(drifted, applied):
    return drifted.playbook(ROOT / "playbooks" / "audit.yml", VARS)


def _statuses(run) -> dict[str, tuple[str, bool]]:
    return {r["id"]: (r["status"], r["changed"]) for r in run.engine_result()["results"]}


def test_check_mode_predicts_both_repairs_and_changes_nothing(drifted, predicted):
    assert _statuses(predicted) == {
        "LZ-MAC-004": ("pass", False),
        "LZ-MAC-005": ("fail", True),
        "LZ-MAC-006": ("fail", True),
    }
    by_id = {r["id"]: r for r in predicted.engine_result()["results"]}
    found = by_id["LZ-MAC-005"]["evidence"]["found"]["unconfined_with_profile"]
    # chronyd runs as two processes (it keeps a privileged helper): both are named.
    assert found and {(p["name"], p["exe"], p["unit"]) for p in found} == {
        ("chronyd", "/usr/sbin/chronyd", "chrony.service")
    }
    assert by_id["LZ-MAC-006"]["reason"] == "/usr/sbin/chronyd is in complain mode"
    assert chronyd_label(drifted) == "unconfined"


def test_apply_reloads_the_profile_enforcing_and_restarts_chrony_under_it(drifted, applied):
    assert _statuses(applied) == {
        "LZ-MAC-004": ("pass", False),
        "LZ-MAC-005": ("fixed", True),
        "LZ-MAC-006": ("fixed", True),
    }
    assert chronyd_label(drifted) == "/usr/sbin/chronyd (enforce)"
    assert_apparmor_confines(drifted, of_types(CONTROLS, "apparmor_profile_mode"))
    assert_sshd_left_unconfined(drifted)
    assert_operator_logs_in_and_sudo_works(drifted)


def test_the_audit_afterwards_passes(audited):
    assert {status for status, _ in _statuses(audited).values()} == {"pass"}
