"""audit_rule controls are judged by the rules the kernel has loaded (auditctl -l, a control
rule by auditctl -s) where auditctl can be asked, and say when only the file could be read.

The fake host's kernel (engine_harness) loads what augenrules reads from rules.d and lists
the rules as written; the kernel's own spelling is compared in test_audit_kernel.py, against
real auditctl output, and on a real kernel in tests/vm/test_baseline_full.py.
"""

from __future__ import annotations

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from engine_harness import control, run

RULES_FILE = "/etc/audit/rules.d/60-landingzone.rules"
SUDOERS = control("audit_rule", {"rule": "-w /etc/sudoers -p wa -k scope"}, "LZ-AUDIT-008")
MOUNTS = control(
    "audit_rule",
    {"rule": "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts"},
    "LZ-AUDIT-034",
)
LOCK = control("audit_rule", {"rule": "-e 2", "file": "99-landingzone-finalize.rules"}, "LZ-AUDIT-048")
CONTROLS = [SUDOERS, MOUNTS]


def by_id(report):
    return {result["id"]: result for result in report["results"]}


def found(result):
    return result["evidence"]["found"]


def applied(system, controls=CONTROLS):
    report, _ = run(system, controls)
    assert {r["status"] for r in report["results"]} == {"fixed"}, report["results"]
    return report


def test_in_a_container_only_the_file_is_judged_and_the_result_says_so(system):
    report, _ = run(system, [SUDOERS], mode="audit", host_kind="container")
    (result,) = report["results"]
    assert result["status"] == "not_applicable"
    assert found(result)["judged_by"] == (
        "the rules file only (a container cannot list the kernel's audit rules: no audit subsystem)"
    )
    assert "no audit subsystem in a container" in result["reason"]
    assert not any(argv[0] == "auditctl" for argv in system.calls)


def test_an_apply_loads_the_rules_and_judges_the_load_then_every_control_passes_by_auditctl(system):
    predicted, _ = run(system, CONTROLS, check_mode=True)
    assert [(r["status"], r["changed"]) for r in predicted["results"]] == [("fail", True), ("fail", True)]
    assert system.audit_rules == []

    applied(system)
    assert system.calls.count(["augenrules", "--load"]) == 1
    # Judged after the load: the kernel was asked again once the rules were loaded.
    load = system.calls.index(["augenrules", "--load"])
    assert ["auditctl", "-l"] in system.calls[load:]

    again, _ = run(system, CONTROLS, mode="audit")
    for result in again["results"]:
        assert result["status"] == "pass"
        assert found(result)["judged_by"] == "auditctl -l"
        assert found(result)["loaded"] is True and found(result)["present"] is True


def test_a_rule_deleted_from_the_kernel_fails_naming_that_it_is_not_loaded_and_the_apply_loads_it_again(system):
    applied(system)
    text = system.read(RULES_FILE)
    # What `auditctl -d always,exit -F arch=b64 -S mount ...` does, and `auditctl -W` for a watch.
    for deleted, control_id in ((1, "LZ-AUDIT-034"), (0, "LZ-AUDIT-008")):
        kept = list(system.audit_rules)
        del system.audit_rules[deleted]
        report, _ = run(system, CONTROLS, mode="audit")
        results = by_id(report)
        assert results[control_id]["status"] == "fail"
        assert results[control_id]["reason"] == "not loaded in the kernel (auditctl -l does not show it)"
        assert found(results[control_id])["present"] is True and found(results[control_id])["loaded"] is False
        assert [r["status"] for r in report["results"] if r["id"] != control_id] == ["pass"]
        system.audit_rules = kept

    del system.audit_rules[1]
    system.calls.clear()
    report, _ = run(system, CONTROLS)
    assert by_id(report)["LZ-AUDIT-034"]["status"] == "fixed"
    assert by_id(report)["LZ-AUDIT-008"]["status"] == "pass"
    assert system.calls.count(["augenrules", "--load"]) == 1
    assert system.read(RULES_FILE) == text  # nothing to write: only the load was missing
    again, _ = run(system, CONTROLS, mode="audit")
    assert [r["status"] for r in again["results"]] == ["pass", "pass"]


@pytest.mark.parametrize(
    "instead",
    [
        "-w /etc/sudoers -p w -k scope",  # weaker permissions
        "-w /etc/sudoers -p wa -k other",  # another key: the auditor's searches miss it
        "-w /etc/sudoers.d -p wa -k scope",  # the neighbour file
    ],
)
def test_a_weaker_rule_in_the_kernel_in_place_of_ours_fails(system, instead):
    applied(system)
    system.audit_rules[0] = instead
    report, _ = run(system, CONTROLS, mode="audit")
    assert by_id(report)["LZ-AUDIT-008"]["status"] == "fail"
    assert by_id(report)["LZ-AUDIT-034"]["status"] == "pass"


def test_the_kernels_own_spelling_of_our_rules_passes(system):
    applied(system)
    # As Debian 12's auditctl -l prints them (tests/unit/plugins/auditctl/bookworm-l.txt).
    system.audit_rules = [
        "-w /etc/sudoers -p wa -k scope",
        "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=-1 -F key=mounts",
    ]
    report, _ = run(system, CONTROLS, mode="audit")
    assert [r["status"] for r in report["results"]] == ["pass", "pass"]


def test_locked_rules_missing_from_the_kernel_fail_until_the_next_boot_and_are_never_a_silent_pass(system):
    applied(system, CONTROLS + [LOCK])
    assert system.audit_enabled == "2"
    report, _ = run(system, CONTROLS + [LOCK], mode="audit")
    assert found(by_id(report)["LZ-AUDIT-048"])["judged_by"] == "auditctl -s"
    assert [r["status"] for r in report["results"]] == ["pass"] * 3

    del system.audit_rules[1]  # deleted before the lock, or lost: the kernel refuses the load now
    predicted, _ = run(system, CONTROLS + [LOCK], check_mode=True)
    system.calls.clear()
    report, _ = run(system, CONTROLS + [LOCK])
    for outcome in (predicted, report):
        result = by_id(outcome)["LZ-AUDIT-034"]
        assert result["status"] == "fail" and result["changed"] is False
        assert result["reboot_required"] is True
        assert result["reason"] == (
            "not loaded in the kernel (auditctl -l does not show it); the kernel's audit rules are locked (-e 2):"
            " the rules files differ from the loaded rules until the next boot"
        )
        assert found(result)["locked"] is True
        assert [r["status"] for r in outcome["results"] if r["id"] != "LZ-AUDIT-034"] == ["pass", "pass"]
    assert ["augenrules", "--load"] not in system.calls


def test_a_rule_written_while_the_rules_are_locked_waits_for_the_next_boot(system):
    applied(system, [SUDOERS, LOCK])
    system.calls.clear()
    report, _ = run(system, CONTROLS + [LOCK])
    result = by_id(report)["LZ-AUDIT-034"]
    assert result["status"] == "fixed" and result["reboot_required"] is True
    assert "locked (-e 2)" in result["reason"]
    assert MOUNTS["params"]["rule"] in system.read(RULES_FILE)
    assert ["augenrules", "--load"] not in system.calls


def test_the_lock_control_is_judged_by_the_kernels_status(system):
    applied(system, [SUDOERS, LOCK])
    system.audit_enabled = "1"  # booted without the finalize file, say
    report, _ = run(system, [LOCK], mode="audit")
    (result,) = report["results"]
    assert result["status"] == "fail"
    assert result["reason"] == "not loaded in the kernel (auditctl -s does not show it)"
    assert found(result)["shown"] == "1" and found(result)["judged_by"] == "auditctl -s"


def test_a_load_that_leaves_a_rule_out_is_an_error_naming_it(system, monkeypatch):
    monkeypatch.setattr(system, "_augenrules", lambda args, env, stdin: CommandResult(0, "", ""))
    report, _ = run(system, CONTROLS)
    for result in report["results"]:
        assert result["status"] == "error"
        assert "augenrules --load ran, but auditctl -l does not show the rule" in result["reason"]


@pytest.mark.parametrize(
    ("refusal", "why"),
    [
        (CommandResult(127, "", "auditctl: command not found"), "auditctl -l: auditctl: command not found"),
        (
            CommandResult(4, "", "You must be root to run this program.\n"),
            "auditctl -l: You must be root to run this program.",
        ),
    ],
)
def test_where_auditctl_cannot_be_asked_only_the_file_is_judged_and_the_result_says_why(system, refusal, why):
    system.fail["auditctl"] = refusal
    report, _ = run(system, [SUDOERS], mode="audit")
    (result,) = report["results"]
    assert result["status"] == "fail" and result["reason"] == f"rule missing from {RULES_FILE}"
    assert found(result)["judged_by"] == f"the rules file only ({why})" and found(result)["loaded"] is None
    run(system, [SUDOERS])
    report, _ = run(system, [SUDOERS], mode="audit")
    assert report["results"][0]["status"] == "pass"
    assert found(report["results"][0])["judged_by"] == f"the rules file only ({why})"


PREPENDED = "-a never,exit -F arch=b64 -S all"  # how the kernel lists `auditctl -A never,exit -F arch=b64 -S all`
SILENCED_BY_PREPENDED = (
    f"silenced by `{PREPENDED}` (line 1 of auditctl -l: loaded before it, and the kernel takes the first rule"
    " that matches)"
)


def test_a_never_rule_prepended_at_run_time_fails_our_rules_naming_it_and_the_load_removes_it(system):
    applied(system)
    system.audit_rules.insert(0, PREPENDED)
    predicted, _ = run(system, CONTROLS, check_mode=True)
    result = by_id(predicted)["LZ-AUDIT-034"]
    assert (result["status"], result["changed"], result["reason"]) == ("fail", True, SILENCED_BY_PREPENDED)
    assert found(result)["loaded"] is True
    assert found(result)["silenced_by"] == [
        {
            "rule": PREPENDED,
            "line": 1,
            "why": "loaded before it, and the kernel takes the first rule that matches",
            "file": None,
        }
    ]
    # The watch on a file too: exit rules carry one priority order (measured on a real kernel).
    assert by_id(predicted)["LZ-AUDIT-008"]["status"] == "fail"
    system.calls.clear()
    report, _ = run(system, CONTROLS)
    assert [r["status"] for r in report["results"]] == ["fixed", "fixed"]
    assert system.calls.count(["augenrules", "--load"]) == 1
    assert PREPENDED not in system.audit_rules
    again, _ = run(system, CONTROLS, mode="audit")
    assert [(r["status"], found(r)["silenced_by"]) for r in again["results"]] == [("pass", []), ("pass", [])]


def test_a_watch_on_a_directory_is_silenced_by_a_never_exit_rule(system):
    (system.root / "etc/sudoers.d").mkdir(parents=True, exist_ok=True)
    sudoers_d = control("audit_rule", {"rule": "-w /etc/sudoers.d -p wa -k scope"}, "LZ-AUDIT-009")
    applied(system, [sudoers_d])
    system.audit_rules.insert(0, PREPENDED)
    report, _ = run(system, [sudoers_d], mode="audit")
    assert (report["results"][0]["status"], report["results"][0]["reason"]) == ("fail", SILENCED_BY_PREPENDED)


def mount_rule_audited_after(system, listed_first):
    """The mount control's audit once `listed_first` is loaded before every rule of ours."""
    applied(system)
    system.audit_rules.insert(0, listed_first)
    report, _ = run(system, [MOUNTS], mode="audit")
    (result,) = report["results"]
    return result


@pytest.mark.parametrize(
    "silencer",
    [
        "-a never,exit -S all",
        "-a never,exit -F arch=b64 -S mount",  # one syscall of one arch: still every mount of ours
        "-a never,task",  # no syscall audit context for a new task
        "-a always,exclude -F msgtype=SYSCALL",  # the record that carries our key is dropped
    ],
)
def test_each_rule_that_silences_the_mount_rule_fails_it(system, silencer):
    result = mount_rule_audited_after(system, silencer)
    assert result["status"] == "fail"
    assert result["reason"].startswith(f"silenced by `{silencer}` (line 1 of auditctl -l")


@pytest.mark.parametrize(
    "harmless",
    [
        "-a never,exit -F arch=b32 -S all",  # the other arch
        "-a never,exit -F arch=b64 -S reboot,swapon",  # syscalls ours does not name
        "-a always,task",
    ],
)
def test_a_rule_that_cannot_overlap_ours_leaves_it_passing_unnamed(system, harmless):
    result = mount_rule_audited_after(system, harmless)
    assert (result["status"], result["reason"]) == ("pass", "")
    assert found(result)["silenced_by"] == [] and found(result)["narrowed_by"] == []
    assert "warnings" not in result["evidence"]


def test_a_never_rule_after_ours_is_harmless(system):
    applied(system)
    system.audit_rules.append("-a never,exit -S all")
    report, _ = run(system, CONTROLS, mode="audit")
    assert [(r["status"], r["reason"]) for r in report["results"]] == [("pass", ""), ("pass", "")]


@pytest.mark.parametrize(
    "narrowed",
    [
        "-a never,exit -S all -F auid=-1",
        "-a never,exit -F arch=b64 -S all -F uid=102",
        "-a always,exclude -F msgtype=PATH",
        "-a never,task -F uid=102",
    ],
)
def test_a_narrowed_rule_before_ours_lets_it_pass_and_is_named_for_the_auditor(system, narrowed):
    result = mount_rule_audited_after(system, narrowed)
    assert result["status"] == "pass" and result["changed"] is False
    (warning,) = result["evidence"]["warnings"]
    assert warning.startswith(f"`{narrowed}` (line 1 of auditctl -l) stops this rule for the events it matches")
    assert result["reason"] == f"warning: {warning}"
    assert [entry["rule"] for entry in found(result)["narrowed_by"]] == [narrowed]


def test_a_silencing_rule_from_a_rules_file_fails_naming_the_file_and_is_left_to_a_person(system):
    applied(system)
    admins = "/etc/audit/rules.d/10-quiet.rules"
    system.write(admins, "# quieter\n-A never,exit -F arch=b64 -S all\n")
    system.audit_rules.insert(0, PREPENDED)  # loaded from that file, as the kernel lists it
    expected = f"{SILENCED_BY_PREPENDED}; it comes from {admins}: a person must remove or change that rule"
    predicted, _ = run(system, CONTROLS, check_mode=True)
    system.calls.clear()
    report, _ = run(system, CONTROLS)
    for outcome in (predicted, report):
        result = by_id(outcome)["LZ-AUDIT-034"]
        assert (result["status"], result["changed"]) == ("fail", False)
        assert result["reason"].startswith(expected)
        assert found(result)["silenced_by"][0]["file"] == admins
        assert by_id(outcome)["LZ-AUDIT-008"]["status"] == "fail"
    assert ["augenrules", "--load"] not in system.calls
    assert system.read(admins) == "# quieter\n-A never,exit -F arch=b64 -S all\n"


def test_a_load_that_brings_in_a_silencing_rule_from_a_file_is_an_error_naming_it(system):
    applied(system)
    admins = "/etc/audit/rules.d/10-quiet.rules"
    system.write(admins, "-a never,exit -F arch=b64 -S all\n")  # written, not yet loaded
    del system.audit_rules[1]
    report, _ = run(system, [MOUNTS])
    (result,) = report["results"]
    assert result["status"] == "error"
    assert f"augenrules --load ran, but the rule is silenced by `{PREPENDED}`" in result["reason"]
    assert f"it comes from {admins}" in result["reason"]


def test_locked_rules_silenced_at_run_time_wait_for_the_next_boot(system):
    applied(system, CONTROLS + [LOCK])
    system.audit_rules.insert(0, PREPENDED)
    system.calls.clear()
    report, _ = run(system, CONTROLS + [LOCK])
    result = by_id(report)["LZ-AUDIT-034"]
    assert (result["status"], result["changed"], result["reboot_required"]) == ("fail", False, True)
    assert result["reason"] == f"{SILENCED_BY_PREPENDED}; the kernel's audit rules are locked (-e 2):" + (
        " the rules files differ from the loaded rules until the next boot"
    )
    assert ["augenrules", "--load"] not in system.calls
