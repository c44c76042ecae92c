"""Reading the host's answer: one result line per control, whatever else the output holds.

The answers here are written by hand in the format the script prints (a mock of the host).
"""

from __future__ import annotations

import json

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare, report
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.parse import MARKER, host_records
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import TYPES
from windows_testdata import engine_args

PLAN_ARGS = engine_args(level="basic")


def job(applying=True, **overrides):
    return prepare(dict(PLAN_ARGS, **overrides), "gem-vpc-01", applying=applying)


def line(control_id, state="compliant", **fields):
    return MARKER + json.dumps({"id": control_id, "state": state, "fixed": False, "fixable": True, **fields})


def all_compliant(the_job, **overrides):
    lines = {control["id"]: line(control["id"], found="ok", source="local setting") for control, _ in the_job.plan}
    lines.update(overrides)
    return list(lines.values())


def by_id(result):
    return {record["id"]: record for record in result["results"]}


def test_every_control_compliant_is_all_pass():
    the_job = job()
    result = report(the_job, {"output": all_compliant(the_job)}, True, "script")
    assert result["summary"]["pass"] == result["summary"]["total"] == len(the_job.plan)
    assert result["failed"] is False and result["changed"] is False


def test_noise_around_and_between_result_lines_is_ignored():
    the_job = job()
    output = ["WARNING: something chatty", 42, {"an": "object"}]
    output += [f"progress {i}\n{text}\nmore noise" for i, text in enumerate(all_compliant(the_job))]
    result = report(the_job, {"output": output, "host_out": "Write-Host says hello\n"}, True, "script")
    assert result["summary"]["pass"] == len(the_job.plan)
    assert not result["warnings"]


def test_a_truncated_json_line_is_an_error_for_its_control_and_a_warning():
    the_job = job()
    lines = all_compliant(the_job)
    target = the_job.plan[5][0]["id"]
    lines[5] = line(target)[:40]
    result = report(the_job, {"output": lines}, True, "script")
    record = by_id(result)[target]
    assert record["status"] == "error" and "unreadable result" in record["reason"]
    assert any("unreadable result line" in warning for warning in result["warnings"])
    assert result["failed"] is True


def test_a_line_cut_before_the_id_leaves_its_control_without_result():
    the_job = job()
    lines = all_compliant(the_job)
    target = the_job.plan[-1][0]["id"]
    lines[-1] = MARKER + '{"sta'
    result = report(the_job, {"output": lines, "msg": "The pipeline has been stopped."}, True, "script")
    assert by_id(result)[target]["status"] == "error"
    assert "The pipeline has been stopped." in by_id(result)[target]["reason"]


def test_controls_the_script_never_reached_are_errors_that_say_why():
    the_job = job()
    lines = all_compliant(the_job)[:10]
    module = {"output": lines, "failed": True, "error": [{"exception": {"message": "Access is denied"}}]}
    result = report(the_job, module, True, "script")
    missing = [r for r in result["results"] if r["status"] == "error"]
    assert len(missing) == len(the_job.plan) - 10
    assert all("no result from the host" in r["reason"] and "Access is denied" in r["reason"] for r in missing)


def test_an_empty_answer_makes_every_control_an_error():
    the_job = job()
    result = report(the_job, {}, True, "script")
    assert result["summary"]["error"] == len(the_job.plan) and result["failed"]


def test_a_second_line_for_one_control_is_ignored_with_a_warning():
    the_job = job()
    lines = all_compliant(the_job)
    lines.append(line(the_job.plan[0][0]["id"], state="noncompliant"))
    result = report(the_job, {"output": lines}, True, "script")
    assert by_id(result)[the_job.plan[0][0]["id"]]["status"] == "pass"
    assert any("second result" in warning for warning in result["warnings"])


@pytest.mark.parametrize(
    ("answer", "applying", "status", "changed"),
    [
        ({"state": "noncompliant", "reason": "set to 1"}, False, "fail", True),
        ({"state": "noncompliant", "fixable": False, "reason": "set by GPO"}, False, "fail", False),
        ({"state": "noncompliant", "fixed": True, "after": {"state": "compliant", "found": 0}}, True, "fixed", True),
        (
            {"state": "noncompliant", "fixed": True, "after": {"state": "noncompliant", "reason": "still 1"}},
            True,
            "error",
            True,
        ),
        (
            {"state": "noncompliant", "fixed": True, "after": {"state": "noncompliant", "pending": True}},
            True,
            "fixed",
            True,
        ),
        ({"state": "noncompliant", "fix_error": "Access is denied"}, True, "error", False),
        ({"state": "error", "reason": "check failed: no such key"}, True, "error", False),
        ({"state": "not_applicable", "not_applicable": "Defender is not active here"}, True, "not_applicable", False),
    ],
)
def test_host_states_map_to_the_shared_statuses(answer, applying, status, changed):
    the_job = job(applying=applying)
    target = next(control["id"] for control, _ in the_job.plan if control["type"] == "registry_value")
    lines = all_compliant(the_job, **{target: line(target, **answer)})
    record = by_id(report(the_job, {"output": lines}, applying, "script"))[target]
    assert (record["status"], record["changed"]) == (status, changed)


def test_evidence_names_the_policy_object_that_set_the_value():
    the_job = job()
    target = next(control["id"] for control, _ in the_job.plan if control["type"] == "registry_value")
    source = "domain group policy object 'GEM Werkplekken'"
    answer = line(target, state="noncompliant", fixable=False, found=1, source=source, reason="set to 1 by " + source)
    record = by_id(report(the_job, {"output": all_compliant(the_job, **{target: answer})}, True, "script"))[target]
    assert record["status"] == "fail" and not record["changed"]
    assert record["evidence"]["source"] == source and record["evidence"]["found"] == 1
    assert record["evidence"]["expected"] is not None


def test_an_audit_only_type_says_why_it_was_not_fixed():
    the_job = job(level="important")
    target = next(control["id"] for control, _ in the_job.plan if control["type"] == "bitlocker_status")
    answer = line(target, state="noncompliant", fixable=False, reason="protection is Off")
    record = by_id(report(the_job, {"output": all_compliant(the_job, **{target: answer})}, True, "script"))[target]
    assert record["status"] == "fail" and "recovery key escrow" in record["reason"]


def test_controls_for_another_host_kind_are_not_applicable_with_the_reason():
    the_job = job(host_kind="server")
    result = report(the_job, {"output": all_compliant(the_job)}, True, "script")
    not_applicable = [r for r in result["results"] if r["status"] == "not_applicable"]
    assert not_applicable and all("this host is a server" in r["reason"] for r in not_applicable)


def test_records_carry_their_references_for_the_report():
    the_job = job()
    result = report(the_job, {"output": all_compliant(the_job)}, True, "script")
    record = by_id(result)["LZW-ACC-001"]
    assert record["cis"] == ["1.1.4"] and record["cyfun"] == ["PR.AC-1.1"]
    assert by_id(result)["LZW-MGT-001"]["ms_baseline"]


def test_host_records_reads_lines_from_output_and_host_out():
    records, problems = host_records({"output": [line("LZW-ACC-001")], "host_out": line("LZW-ACC-002") + "\n"})
    assert set(records) == {"LZW-ACC-001", "LZW-ACC-002"} and not problems


def test_a_registry_value_of_the_wrong_type_fails_and_the_evidence_names_the_type():
    """A REG_SZ '1' where the control sets a REG_DWORD 1: the host's answer is hand written (a mock)."""
    the_job = job(applying=False)
    target = "LZW-NET-001"
    reason = 'REG_SZ "0", not the REG_DWORD the control sets'
    answer = line(target, state="noncompliant", found="0", value_type="REG_SZ", reason=reason)
    record = by_id(report(the_job, {"output": all_compliant(the_job, **{target: answer})}, False, "script"))[target]
    assert record["status"] == "fail" and record["changed"] is True
    assert record["evidence"]["value_type"] == "REG_SZ" and record["reason"] == reason


def test_after_a_fix_the_evidence_holds_the_type_found_after_it():
    the_job = job()
    target = "LZW-NET-001"
    after = {"state": "compliant", "found": 0, "value_type": "REG_DWORD"}
    answer = line(target, state="noncompliant", found="0", value_type="REG_SZ", fixed=True, after=after)
    record = by_id(report(the_job, {"output": all_compliant(the_job, **{target: answer})}, True, "script"))[target]
    assert record["status"] == "fixed" and record["evidence"]["value_type"] == "REG_DWORD"


def test_the_registry_check_is_given_the_type_the_control_sets():
    the_job = job()
    script_lines = {control["id"]: TYPES[control["type"]].check(control["params"]) for control, _ in the_job.plan}
    assert script_lines["LZW-NET-001"].endswith("-Kind 'DWord'")
    multi = next(c for c, _ in the_job.plan if c["type"] == "registry_value" and c["params"]["kind"] == "multi_string")
    assert script_lines[multi["id"]].endswith("-Kind 'MultiString'")


RESTART_NAMED_BY_THE_REVIEW = ("LZW-CRED-001", "LZW-NET-003", "LZW-NET-006", "LZW-SEC-043", "LZW-SEC-044")


@pytest.mark.parametrize("target", RESTART_NAMED_BY_THE_REVIEW)
def test_a_fix_the_catalog_marks_for_a_restart_reports_reboot_required(target):
    """RunAsPPL, NodeType, mrxsmb10 Start, ObCaseInsensitive, ProtectionMode: Windows reads them at
    start, so the value is right at once and the host cannot see that it is not in force yet."""
    the_job = job()
    after = {"state": "compliant", "found": 1, "value_type": "REG_DWORD"}
    answer = line(target, state="noncompliant", found=0, fixed=True, after=after)
    result = report(the_job, {"output": all_compliant(the_job, **{target: answer})}, True, "script")
    assert by_id(result)[target]["status"] == "fixed" and by_id(result)[target]["reboot_required"] is True
    assert result["reboot_required"] is True
    assert not [r["id"] for r in result["results"] if r["reboot_required"] and r["id"] != target]


def test_a_fix_without_the_flag_and_a_pass_with_it_need_no_restart():
    the_job = job()
    after = {"state": "compliant", "found": 0, "value_type": "REG_DWORD"}
    lines = all_compliant(
        the_job, **{"LZW-NET-001": line("LZW-NET-001", state="noncompliant", fixed=True, after=after)}
    )
    result = report(the_job, {"output": lines}, True, "script")
    assert by_id(result)["LZW-NET-001"]["status"] == "fixed"
    assert result["reboot_required"] is False
