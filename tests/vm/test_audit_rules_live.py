"""The audit rules the kernel has loaded, attacked on a real kernel (`make test-vm`, slow).

Only the audit_rule controls run, and at first without the lock (-e 2), so that the rules can
still be deleted from the kernel: a container cannot do any of this (no audit subsystem), nor
can this machine's kernel be touched. An attacker deletes an exit rule (`auditctl -d`) and a
watch (`auditctl -W`) from the kernel; their files keep them. The audit must fail exactly those
two, saying that they are not loaded; the apply loads them again. Then the attacker silences
the rules without deleting them: `auditctl -A never,exit -F arch=b64 -S all` puts a never rule
first in the exit list, where the kernel stops at the first match. Every rule that b64 syscalls
reach, watches included, must fail naming that rule; the b32-only ones pass. Real events prove
it: a write to a watched file, a write in a watched directory and a sethostname record nothing;
the next apply's load removes the rule and all three record again.
The same rule in a rules file sorted before ours comes back with every load: the controls fail
naming that file, and the apply leaves it to a person. Then one rule is deleted again and the
rules locked (`auditctl -e 2`): the audit and the apply must say that only a reboot loads it,
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
PREPENDED = "-a never,exit -F arch=b64 -S all"  # `auditctl -A never,exit ...` as the kernel lists it
SILENCED = f"silenced by `{PREPENDED}` (line 1 of auditctl -l: "
QUIET_FILE = "/etc/audit/rules.d/10-quiet.rules"  # sorted before 60-landingzone.rules
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


# Events that prove what the kernel records: what makes one, and the shell filter that counts
# the SYSCALL records it leaves in auditd's log (only they carry the key; sethostname is 170).
AUDIT_LOG = "/var/log/audit/audit.log"
PROBES = {
    "a watched directory": ("touch /etc/audit/lz-probe", "grep -c 'key=\"auditconfig\"'"),
    "a b64 syscall rule": ('hostname "$(hostname)"', "grep 'key=\"system-locale\"' | grep -c ' syscall=170 '"),
    "a watched file": ("touch /etc/hosts", "grep 'key=\"system-locale\"' | grep -vc ' syscall=170 '"),
}


def recorded(vm):
    """How many records of each probe auditd has logged so far."""
    counts = {}
    for name, (_, count) in PROBES.items():
        out = vm.ssh(f"sudo -n grep '^type=SYSCALL' {AUDIT_LOG} | {count} || true")
        counts[name] = int(out.strip() or 0)
    return counts


def probe(vm):
    """Make one event of each probe; how many records of each auditd logged."""
    before = recorded(vm)
    for command, _ in PROBES.values():
        vm.ssh(f"sudo -n sh -c {shlex.quote(command)}")
    vm.ssh("sudo -n rm -f /etc/audit/lz-probe; sleep 2")
    after = recorded(vm)
    return {name: after[name] - before[name] for name in PROBES}


def silenced_by_b64(control, directories):
    """Whether the prepended b64 never rule reaches the rule: in the exit list, not b32 only."""
    words = control["params"]["rule"].split()
    return "arch=b32" not in words


@pytest.fixture(scope="module")
def prepended(lab_vm, attacked):
    watched = [control["params"]["rule"].split()[1] for control in RULES if control["params"]["rule"].startswith("-w")]
    found = lab_vm.ssh(f"for p in {shlex.join(watched)}; do [ -d $p ] && echo $p; done; true")
    directories = {path.rstrip("/") for path in found.split()}
    # auditd writes the records the probes count; started now, its start's rule load comes first.
    auditd = lab_vm.ssh("sudo -n systemctl start auditd; systemctl is-active auditd; true").strip()
    lab_vm.ssh("sudo -n auditctl -A never,exit -F arch=b64 -S all")
    listed = lab_vm.ssh("sudo -n auditctl -l").splitlines()
    events = probe(lab_vm)
    audit = engine(lab_vm, "audit")
    repaired = engine(lab_vm, "apply")
    after = engine(lab_vm, "audit")
    return {
        "silenced": {control["id"] for control in RULES if silenced_by_b64(control, directories)},
        "directories": directories,
        "listed": listed,
        "events": events,
        "audit": audit,
        "repaired": repaired,
        "after": after,
        "events_after": probe(lab_vm),
        "auditd": auditd,
    }


@pytest.fixture(scope="module")
def from_a_file(lab_vm, prepended):
    lab_vm.ssh(f"printf '%s\\n' {shlex.quote(PREPENDED)} | sudo -n tee {QUIET_FILE} >/dev/null")
    lab_vm.ssh("sudo -n augenrules --load")
    try:
        audit = engine(lab_vm, "audit")
        apply = engine(lab_vm, "apply")
        kept = lab_vm.ssh(f"sudo -n cat {QUIET_FILE}").splitlines()
        listed = lab_vm.ssh("sudo -n auditctl -l").splitlines()
    finally:
        lab_vm.ssh(f"sudo -n rm -f {QUIET_FILE} && sudo -n augenrules --load")
    return {"audit": audit, "apply": apply, "kept": kept, "listed": listed}


@pytest.fixture(scope="module")
def locked(lab_vm, attacked, from_a_file):
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


def test_a_never_rule_prepended_at_run_time_silences_our_rules_and_fails_them_naming_it(prepended):
    assert prepended["listed"][0] == PREPENDED, "auditctl -A puts the rule first"
    assert "/etc/audit" in prepended["directories"] and "/etc/hosts" not in prepended["directories"]
    silenced = prepended["silenced"]
    assert silenced and len(silenced) < len(RULES)
    for control_id, result in prepended["audit"].items():
        found = result["evidence"]["found"]
        assert found["loaded"] is True, control_id  # loaded, and silenced all the same
        if control_id in silenced:
            assert result["status"] == "fail" and result["reason"].startswith(SILENCED), (control_id, result)
            assert [entry["rule"] for entry in found["silenced_by"]] == [PREPENDED], control_id
            assert found["silenced_by"][0]["file"] is None and result["changed"] is True, control_id
        else:
            assert (result["status"], found["silenced_by"]) == ("pass", []), (control_id, result["reason"])


def test_the_kernel_records_exactly_what_the_judgment_says(prepended):
    events, after, auditd = prepended["events"], prepended["events_after"], prepended["auditd"]
    assert events["a watched directory"] == 0 and events["a b64 syscall rule"] == 0, (events, auditd)
    # Measured: the never rule silences the watch on a file too (exit rules share one priority order).
    assert events["a watched file"] == 0, (events, after, auditd)
    assert all(count > 0 for count in after.values()), (after, auditd)


def test_the_next_apply_loads_the_files_which_removes_the_never_rule(prepended):
    assert {cid for cid, r in prepended["repaired"].items() if r["status"] == "fixed"} == prepended["silenced"]
    assert {r["status"] for r in prepended["after"].values()} == {"pass"}


def test_a_never_rule_from_a_rules_file_fails_naming_the_file_and_is_left_to_a_person(prepended, from_a_file):
    assert from_a_file["listed"][0] == PREPENDED, "augenrules loads the file sorted first first"
    assert from_a_file["kept"] == [PREPENDED], "an administrator's rules file is never edited"
    for outcome in (from_a_file["audit"], from_a_file["apply"]):
        for control in RULES:
            result = outcome[control["id"]]
            if control["id"] in prepended["silenced"]:
                assert (result["status"], result["changed"]) == ("fail", False), (control["id"], result)
                assert result["reason"].startswith(SILENCED), control["id"]
                assert f"it comes from {QUIET_FILE}: a person must remove or change that rule" in result["reason"]
            else:
                assert result["status"] == "pass", (control["id"], result["reason"])


def test_once_locked_a_rule_missing_from_the_kernel_waits_for_a_reboot_and_says_so(locked):
    control_id = control_of(DELETED[0])
    for outcome in (locked["audit"], locked["apply"]):
        result = outcome[control_id]
        assert result["status"] == "fail"
        assert result["reason"].startswith(f"{NOT_LOADED}; {LOCKED}")
        assert result["reboot_required"] is True and result["changed"] is False
        assert result["evidence"]["found"]["locked"] is True
        assert {r["status"] for cid, r in outcome.items() if cid != control_id} == {"pass"}
