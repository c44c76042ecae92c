"""The audit rules the kernel has loaded, attacked on a real kernel (`make test-vm`, slow).

Only the audit_rule controls run, and at first without the lock (-e 2), so that the rules can
still be deleted from the kernel: a container cannot do any of this (no audit subsystem), nor
can this machine's kernel be touched. An attacker deletes an exit rule (`auditctl -d`) and a
watch (`auditctl -W`) from the kernel; their files keep them. The audit must fail exactly those
two, saying that they are not loaded; the apply loads them again. Then one is deleted again and
the rules locked (`auditctl -e 2`): the audit and the apply must say that only a reboot loads it,
and neither may call it a pass.
"""

import shlex

import pytest
from catalog import VM_LEVEL, ids_not_of_types, load_controls, of_types, selected_for_server
from lab_vm import ROOT

pytestmark = pytest.mark.vm

AUDIT_CONTROLS = of_types(selected_for_server(load_controls()), "audit_rule")
(LOCK,) = [control["id"] for control in AUDIT_CONTROLS if control["params"]["rule"] == "-e 2"]
RULES = [control for control in AUDIT_CONTROLS if control["id"] != LOCK]
RULES_FILE = "/etc/audit/rules.d/60-landingzone.rules"
# What the attacker deletes: an exit rule (auditctl -d) and a watch (auditctl -W).
DELETED = (
    "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts",
    "-w /etc/sudoers -p wa -k scope",
)
NOT_LOADED = "not loaded in the kernel (auditctl -l does not show it)"
LOCKED = "the kernel's audit rules are locked (-e 2)"
APPLY_TIMEOUT = 600


def control_of(rule):
    (control_id,) = [control["id"] for control in RULES if control["params"]["rule"] == rule]
    return control_id


def delete_from_the_kernel(vm, rule):
    words = rule.split()
    vm.ssh("sudo -n auditctl " + shlex.join(["-d" if words[0] == "-a" else "-W", *words[1:]]))


def enabled(vm):
    status = dict(line.split(None, 1) for line in vm.ssh("sudo -n auditctl -s").splitlines() if " " in line)
    return status["enabled"].split()[0]


def engine(vm, mode):
    """The audit_rule controls without the lock, applied or audited; their results by id."""
    variables = {
        "linux_baseline_level": VM_LEVEL,
        "linux_baseline_disabled_controls": [*ids_not_of_types(load_controls(), "audit_rule"), LOCK],
    }
    playbook = "baseline.yml" if mode == "apply" else "audit.yml"
    run = vm.playbook(ROOT / "playbooks" / playbook, variables, timeout=APPLY_TIMEOUT)
    return {result["id"]: result for result in run.engine_result()["results"]}


@pytest.fixture(scope="module")
def loaded(lab_vm):
    results = engine(lab_vm, "apply")
    assert enabled(lab_vm) == "1", "without the lock control the rules must stay unlocked"
    return results


@pytest.fixture(scope="module")
def attacked(lab_vm, loaded):
    for rule in DELETED:
        delete_from_the_kernel(lab_vm, rule)
    audit = engine(lab_vm, "audit")
    files = lab_vm.ssh(f"sudo -n cat {RULES_FILE}").splitlines()
    repaired = engine(lab_vm, "apply")
    after = engine(lab_vm, "audit")
    return {"audit": audit, "files": files, "repaired": repaired, "after": after}


@pytest.fixture(scope="module")
def locked(lab_vm, attacked):
    delete_from_the_kernel(lab_vm, DELETED[0])
    lab_vm.ssh("sudo -n auditctl -e 2")
    assert enabled(lab_vm) == "2"
    return {"audit": engine(lab_vm, "audit"), "apply": engine(lab_vm, "apply")}


def test_the_first_apply_loads_every_rule_and_judges_it_by_the_kernels_list(loaded):
    assert sorted(loaded) == sorted(control["id"] for control in RULES)
    for control_id, result in loaded.items():
        assert result["status"] == "fixed", (control_id, result["reason"])
        assert result["evidence"]["found"]["judged_by"] == "auditctl -l", control_id


def test_rules_deleted_from_the_kernel_fail_naming_that_they_are_not_loaded(attacked):
    deleted = {control_of(rule) for rule in DELETED}
    for rule in DELETED:
        assert rule in attacked["files"], "the attack is on the kernel only: the file keeps the rule"
    for control_id, result in attacked["audit"].items():
        found = result["evidence"]["found"]
        assert found["judged_by"] == "auditctl -l", control_id
        if control_id in deleted:
            assert (result["status"], result["reason"]) == ("fail", NOT_LOADED), control_id
            assert (found["present"], found["loaded"], result["changed"]) == (True, False, True), control_id
        else:
            assert (result["status"], found["loaded"]) == ("pass", True), (control_id, result["reason"])


def test_the_apply_loads_them_again_and_the_next_audit_passes(attacked):
    deleted = {control_of(rule) for rule in DELETED}
    assert {cid for cid, r in attacked["repaired"].items() if r["status"] == "fixed"} == deleted
    assert {r["status"] for cid, r in attacked["repaired"].items() if cid not in deleted} == {"pass"}
    assert {r["status"] for r in attacked["after"].values()} == {"pass"}


def test_once_locked_a_rule_missing_from_the_kernel_waits_for_a_reboot_and_says_so(locked):
    control_id = control_of(DELETED[0])
    for outcome in (locked["audit"], locked["apply"]):
        result = outcome[control_id]
        assert result["status"] == "fail"
        assert result["reason"].startswith(f"{NOT_LOADED}; {LOCKED}")
        assert result["reboot_required"] is True and result["changed"] is False
        assert result["evidence"]["found"]["locked"] is True
        assert {r["status"] for cid, r in outcome.items() if cid != control_id} == {"pass"}
