"""AppArmor on a real kernel (`make test-vm`, not in CI): the controls repair real drift, and the
citizen portal runs confined by its two profiles. One VM for both.

Before the baseline runs, chronyd's profile is loaded in complain mode and chronyd is
restarted while its profile is out of the kernel, so it runs unconfined once the profile is
back: the two things LZ-MAC-006 and LZ-MAC-005 exist to catch. Check mode predicts both
repairs and changes nothing; the apply reloads the profile in enforce mode and restarts
chrony under it; aa-status and the kernel then show every profile enforcing and chronyd
confined, an audit passes, and the operator still logs in. Only the AppArmor controls run.

Then the citizen_portal role installs the portal as an operator applies it (PostgreSQL, Flask
under gunicorn, nginx; packages from the controller, portal_vm.py): gunicorn and nginx run in
their profiles, the role's evidence says so, the portal's own health check passes through them
without a denial, and the application's profile refuses the portal's TLS key, logged by name.
"""

import pytest
from apparmor_vm import assert_denied_and_logged, assert_enforced, denials, record_aa_status, unit_labels
from backup_vm import sh
from catalog import VM_LEVEL, ids_not_of_types, load_controls, of_types, selected_for_server
from kernel_checks import (
    assert_apparmor_confines,
    assert_operator_logs_in_and_sudo_works,
    assert_sshd_left_unconfined,
)
from lab_vm import PLAYBOOKS, ROOT
from portal_vm import (
    APPLICATION_PROFILE,
    CONFINEMENT_TASK,
    HEALTH_CHECK,
    NGINX_PROFILE,
    TLS_KEY,
    portal_vars,
)

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


# ---- the citizen portal in its profiles ------------------------------------------------------------------
PORTAL_TIMEOUT = 1800


@pytest.fixture(scope="module")
def portal(lab_vm):
    """The portal applied by its role; the role ends with the portal's own health check, and fails
    when it does not pass."""
    run = lab_vm.playbook(
        PLAYBOOKS / "citizen_portal.yml", portal_vars(lab_vm), timeout=PORTAL_TIMEOUT, must_succeed=False
    )
    if run.returncode != 0:
        # What the profiles refused says more than the failed task; the VM is gone after the module.
        refused = {profile: denials(lab_vm, profile) for profile in (APPLICATION_PROFILE, NGINX_PROFILE)}
        journal = sh(lab_vm, "journalctl -u citizen-portal.service -u nginx.service -o cat --no-pager | tail -40")
        pytest.fail(f"the portal's apply failed ({run.log}):\n{run.failures()}\nrefused: {refused}\n{journal}")
    return run


def test_gunicorn_and_nginx_run_in_their_profiles_enforcing(lab_vm, portal):
    status = record_aa_status(lab_vm, "citizen-portal")
    for profile, unit in ((APPLICATION_PROFILE, "citizen-portal.service"), (NGINX_PROFILE, "nginx.service")):
        assert_enforced(lab_vm, status, profile, unit)
        # Every process of the unit, workers included (nginx's run as www-data, gunicorn's are forks).
        labels = unit_labels(lab_vm, unit)
        assert len(labels) >= 2 and set(labels) == {f"{profile} (enforce)"}, (unit, labels)


def test_the_roles_evidence_records_both_services_confined(portal):
    (result,) = portal.task_results(CONFINEMENT_TASK)
    records = [item["landingzone_evidence"] for item in result["results"]]
    assert {r["section"] for r in records} == {"confinement"}
    by_unit = {r["record"]["service"]: r["record"] for r in records}
    assert set(by_unit) == {"citizen-portal.service", "nginx.service"}
    for unit, profile in (("citizen-portal.service", APPLICATION_PROFILE), ("nginx.service", NGINX_PROFILE)):
        record = by_unit[unit]
        assert (record["verdict"], record["reason"], record["profile"]) == ("pass", "", profile), record
        assert record["profile_mode"] == "enforce"
        assert len(record["processes"]) >= 2, record  # master and workers
        assert {p["label"] for p in record["processes"]} == {f"{profile} (enforce)"}, record


def test_the_portals_health_check_passes_through_the_confined_services_without_a_denial(lab_vm, portal):
    answer = sh(lab_vm, f"{HEALTH_CHECK}; echo rc=$?", timeout=120)
    assert answer.startswith("ok: ") and answer.rstrip().endswith("rc=0"), answer
    # It went through gunicorn (its access log), and nothing either profile refused all along,
    # the role's apply and its own health check included.
    served = sh(lab_vm, "journalctl -u citizen-portal.service -o cat --no-pager | grep -c 'GET /api/appointments/'")
    assert int(served.strip()) >= 1
    assert denials(lab_vm, APPLICATION_PROFILE) == [] and denials(lab_vm, NGINX_PROFILE) == []


def test_the_applications_profile_refuses_the_portals_tls_key_and_logs_it(lab_vm, portal):
    # nginx's key, readable to root: the application, which never needs it, may not read it.
    read = f"/usr/bin/python3 -c \"open('{TLS_KEY}').read()\""
    said = assert_denied_and_logged(lab_vm, APPLICATION_PROFILE, read, TLS_KEY)
    assert "Permission denied" in said, said
