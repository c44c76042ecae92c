"""The action plugin end to end, against a MOCK Windows host (harness.FakeWindowsHost): a fake
connection and a fake win_powershell that answer the rendered script with recorded results.
What this proves is the controller's side: one module execution per run, what is sent in
apply, audit and check mode, how answers become results, and that bad input never reaches
the host. It does not prove PowerShell's side; tests/live does, where a host is configured."""

from __future__ import annotations

import pytest
from windows_host_mock import FakeConnection, FakeWindowsHost, run_action
from windows_testdata import ROOT, engine_args

from landingzone.evidence.catalog_hashes import catalog_hashes
from landingzone.evidence.document import build_document, check_document
from landingzone.runner.events import RunObserver

DRIFT = {
    "LZW-ACC-001": {"state": "noncompliant", "found": 8, "reason": "set to 8 in [System Access]"},
    "LZW-NET-001": {"state": "noncompliant", "found": 1, "reason": "set to 1"},
    "LZW-SVC-011": {"state": "noncompliant", "found": {"start_mode": "Manual", "status": "Running"}},
}


def statuses(result):
    return {record["id"]: record["status"] for record in result["results"]}


def test_one_module_execution_applies_the_whole_baseline():
    host = FakeWindowsHost(DRIFT)
    result, calls = run_action(engine_args(), host)
    assert [name for name, _ in calls] == ["ansible.windows.win_powershell"]
    assert calls[0][1]["error_action"] == "stop"
    assert result["engine"]["module_executions"] == 1
    assert {cid: statuses(result)[cid] for cid in DRIFT} == dict.fromkeys(DRIFT, "fixed")
    assert result["changed"] is True and result["failed"] is False
    assert result["summary"]["total"] == len(result["results"]) > 200


def test_a_second_apply_changes_nothing():
    host = FakeWindowsHost(DRIFT)
    run_action(engine_args(), host)
    second, calls = run_action(engine_args(), host)
    assert len(calls) == 1
    assert second["changed"] is False
    # Denying local accounts waits for identity ad with a domain management account.
    not_applicable = [r["id"] for r in second["results"] if r["status"] == "not_applicable"]
    assert not_applicable == ["LZW-URA-031", "LZW-URA-032"]
    assert second["summary"]["pass"] == second["summary"]["total"] - 2


@pytest.mark.parametrize(("mode", "check_mode"), [("apply", True), ("audit", False), ("audit", True)])
def test_check_mode_and_audit_send_the_audit_script_and_change_nothing(mode, check_mode):
    host = FakeWindowsHost(DRIFT)
    result, calls = run_action(engine_args(mode=mode), host, check_mode=check_mode)
    script = calls[0][1]["script"]
    assert "-Fix {" not in script and "(audit," in script.splitlines()[0]
    # As linux_controls: check mode of an apply predicts the change, an audit never reports one.
    assert result["changed"] is (mode == "apply")
    assert {cid: statuses(result)[cid] for cid in DRIFT} == dict.fromkeys(DRIFT, "fail")
    assert all(r["changed"] for r in result["results"] if r["id"] in DRIFT), "records say what apply would change"
    assert host.answers["LZW-ACC-001"]["state"] == "noncompliant", "nothing was fixed on the host"


def test_the_fake_module_like_the_real_one_skips_a_check_mode_script_without_should_process():
    host = FakeWindowsHost()
    skipped = host.win_powershell({"script": "Write-Output 1", "_ansible_check_mode": True})
    assert skipped.get("skipped") is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"management_networks": []}, "windows_baseline_management_networks: needs at least one CIDR"),
        ({"management_networks": ["10.0.0.0/33"]}, "windows_baseline_management_networks: not a CIDR"),
        (
            {"disabled": ["LZW-MGT-001"]},
            "windows_baseline_disabled_controls: LZW-MGT-001 keeps the management path open",
        ),
        ({"disabled": ["LZW-NOPE-001"]}, "windows_baseline_disabled_controls: LZW-NOPE-001: no such control"),
        ({"winrm_port": 70000}, "windows_baseline_winrm_port: must be a TCP port"),
        ({"level": "maximal"}, "level: must be one of basic, important, essential"),
    ],
)
def test_bad_input_fails_before_the_host_is_touched(overrides, message):
    host = FakeWindowsHost()
    result, calls = run_action(engine_args(**overrides), host)
    assert result["failed"] is True and message in result["msg"]
    assert calls == [] and host.executions == []


def test_a_broken_catalog_entry_is_named_with_its_field():
    args = engine_args()
    args["catalog"]["network"][0]["params"]["kind"] = "binary"
    result, calls = run_action(args, FakeWindowsHost())
    assert calls == [] and "control LZW-NET-001: params.kind: must be one of" in result["msg"]


def test_an_unreachable_host_is_reported_as_unreachable():
    class Unreachable(FakeWindowsHost):
        def win_powershell(self, module_args):
            return {"unreachable": True, "msg": "ssl: HTTPSConnectionPool: Max retries exceeded"}

    result, _ = run_action(engine_args(), Unreachable())
    assert result["unreachable"] is True and "results" not in result


def test_controls_that_would_cut_this_connection_are_held_back_with_the_reason():
    connection = FakeConnection(scheme="http", port=5985, auth="basic", user="operator")
    drift = {
        "LZW-WRM-001": {"state": "noncompliant", "found": 1},
        "LZW-WRM-007": {"state": "noncompliant", "found": {"http_listeners": [{"port": "5985"}]}},
    }
    host = FakeWindowsHost(drift)
    result, calls = run_action(engine_args(), host, connection=connection)
    by_id = {r["id"]: r for r in result["results"]}
    assert by_id["LZW-WRM-001"]["status"] == "fail" and "Basic authentication" in by_id["LZW-WRM-001"]["reason"]
    assert "connects over HTTP" in by_id["LZW-WRM-007"]["reason"]
    assert not by_id["LZW-WRM-001"]["changed"]
    script = calls[0][1]["script"]
    assert "Remove-LzwHttpListener -HttpsPort" not in script
    assert "-Name 'AllowBasic' -Value 0" not in script.split("# LZW-WRM-004")[0]


def test_the_cli_collects_the_windows_results_as_evidence():
    result, _ = run_action(engine_args(), FakeWindowsHost(DRIFT))
    observer = RunObserver("gemeente", ["gem-vpc-01"], set())
    observer.handle(
        {
            "event": "runner_on_ok",
            "event_data": {
                "host": "gem-vpc-01",
                "task_action": "cyberveilig.landingzone.windows_controls",
                "res": result,
            },
        }
    )
    assert len(observer.results) == len(result["results"])
    assert {r["status"] for r in observer.results} == {"pass", "fixed", "not_applicable"}


def test_the_result_does_not_carry_the_script_or_the_raw_output():
    result, _ = run_action(engine_args(), FakeWindowsHost())
    assert "output" not in result and "script" not in str(result.get("invocation", ""))
    assert len(result["engine"]["script_sha256"]) == 64


def test_the_windows_results_make_a_valid_results_json():
    waiver = {
        "control": "LZW-BL-001", "hosts": "all", "justification": "platform encryption", "approver": "ciso",
        "expires": "2099-12-31", "compensating_measure": "quarterly check",
    }  # fmt: skip
    result, _ = run_action(engine_args(waivers=[waiver], host_kind="server"), FakeWindowsHost(DRIFT))
    observer = RunObserver("gemeente", ["gem-vpc-01"], set())
    observer.handle(
        {
            "event": "runner_on_ok",
            "created": "2026-11-28T20:00:00.000000+00:00",
            "event_data": {
                "host": "gem-vpc-01",
                "task_action": "cyberveilig.landingzone.windows_controls",
                "res": result,
            },
        }
    )
    run = {
        "ident": "20261128T200000Z-windows",
        "kind": "apply",
        "started": "2026-11-28T20:00:00+00:00",
        "finished": "2026-11-28T20:01:00+00:00",
        "operator": "operator",
        "project_commit": "0" * 40,
        "collection_version": "0.1.0",
        "ansible_core_version": "2.21.5",
        "catalog_hashes": catalog_hashes(ROOT),
        "municipality": {"name": "gemeente", "nis_code": "99001"},
        "hosts": {"gem-vpc-01": {"reachable": True}},
    }
    document = build_document(run, observer.results)
    check_document(document)
    assert {r["status"] for r in document["results"]} >= {"pass", "fixed", "waived", "not_applicable"}
    assert any(path.startswith("roles/windows_baseline/controls/") for path in document["run"]["catalog_hashes"])


def test_constrained_language_is_one_error_for_the_host_that_names_the_mode():
    """App Control for Business (WDAC) script enforcement: the mock host answers as PowerShell does in
    ConstrainedLanguage (a mock: no PowerShell runtime here)."""
    host = FakeWindowsHost(DRIFT, language_mode="ConstrainedLanguage")
    result, calls = run_action(engine_args(), host)
    assert len(calls) == 1
    assert result["failed"] is True and result["changed"] is False
    assert "ConstrainedLanguage mode" in result["msg"] and "no control was checked" in result["msg"]
    assert result["results"] == [] and result["summary"]["total"] == 0


def test_without_the_guard_a_constrained_host_fails_every_control():
    """The mock's other branch, so the test above proves the guard and not the mock."""
    host = FakeWindowsHost(language_mode="ConstrainedLanguage")
    script = "function Test-LzwThing { }\nInvoke-LzwControl -Id 'LZW-NET-001' -Check {\n    Test-LzwThing\n}\n"
    answer = host.win_powershell({"script": script})
    assert len(answer["output"]) == 1 and "language mode" in answer["output"][0]
