"""Waivers: matched by host name or pattern, active until their date, never fixing what they waive."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.linux_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import ControlError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.waivers import WaiverError, annotate
from engine_harness import control, run

TODAY = datetime.date(2025, 6, 1)
LOGIN_DEFS = {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365}


def waiver(control_id="LZ-ACC-001", hosts="all", expires="2025-12-31", **extra):
    record = {
        "control": control_id,
        "hosts": hosts,
        "justification": "legacy payroll application needs it",
        "approver": "ciso@gemeente.example",
        "expires": expires,
        "compensating_measure": "monthly review of the payroll account",
    }
    record.update(extra)
    return record


def catalog():
    return [
        control("config_key", LOGIN_DEFS, "LZ-ACC-001"),
        control("kernel_module", {"name": "usb-storage"}, "LZ-KM-001"),
    ]


def test_active_waiver_marks_only_its_control():
    controls, warnings = annotate(catalog(), [waiver()], "gem-app-01", today=TODAY)

    assert controls[0]["waiver_state"] == "active"
    assert controls[0]["waiver"]["approver"] == "ciso@gemeente.example"
    assert controls[0]["waiver"]["expires"] == "2025-12-31"
    assert "waiver" not in controls[1]
    assert warnings == []


def test_expiry_day_itself_is_still_active_and_the_day_after_is_expired():
    on_the_day, _ = annotate(catalog(), [waiver(expires="2025-06-01")], "h", today=TODAY)
    day_after, _ = annotate(catalog(), [waiver(expires="2025-05-31")], "h", today=TODAY)

    assert on_the_day[0]["waiver_state"] == "active"
    assert day_after[0]["waiver_state"] == "expired"


def test_yaml_dates_are_accepted():
    controls, _ = annotate(catalog(), [waiver(expires=datetime.date(2026, 1, 31))], "h", today=TODAY)
    assert controls[0]["waiver"]["expires"] == "2026-01-31"


@pytest.mark.parametrize(
    ("hosts", "hostname", "matches"),
    [
        ("all", "gem-app-01", True),
        (["all"], "gem-app-01", True),
        (["gem-app-01"], "gem-app-01", True),
        (["gem-app-01"], "gem-app-02", False),
        (["gem-app-*"], "gem-app-02", True),
        (["gem-db-?"], "gem-db-1", True),
        (["gem-db-?"], "gem-app-1", False),
    ],
)
def test_host_names_and_patterns(hosts, hostname, matches):
    controls, _ = annotate(catalog(), [waiver(hosts=hosts)], hostname, today=TODAY)
    assert ("waiver" in controls[0]) is matches


def test_waiver_for_an_unknown_control_is_an_error():
    with pytest.raises(WaiverError, match="LZ-NOPE-001.*unknown control id"):
        annotate(catalog(), [waiver(control_id="LZ-NOPE-001")], "h", today=TODAY)


@pytest.mark.parametrize("field", ["justification", "approver", "expires", "compensating_measure", "hosts"])
def test_waiver_missing_a_field_is_an_error(field):
    incomplete = waiver()
    del incomplete[field]
    with pytest.raises(WaiverError, match=f"LZ-ACC-001: {field}: is required"):
        annotate(catalog(), [incomplete], "h", today=TODAY)


def test_bad_date_is_an_error():
    with pytest.raises(WaiverError, match="expires: must be a date"):
        annotate(catalog(), [waiver(expires="31/12/2025")], "h", today=TODAY)


def test_warning_within_thirty_days_only():
    _, soon = annotate(catalog(), [waiver(expires="2025-07-01")], "gem-app-01", today=TODAY)
    _, later = annotate(catalog(), [waiver(expires="2025-07-02")], "gem-app-01", today=TODAY)
    _, expired = annotate(catalog(), [waiver(expires="2025-05-01")], "gem-app-01", today=TODAY)

    assert len(soon) == 1 and "LZ-ACC-001" in soon[0] and "2025-07-01" in soon[0] and "30 days" in soon[0]
    assert later == []
    assert expired == []


def test_an_active_waiver_wins_over_an_expired_one():
    controls, _ = annotate(
        catalog(), [waiver(expires="2025-01-01"), waiver(expires="2025-09-01", hosts=["h"])], "h", today=TODAY
    )
    assert controls[0]["waiver_state"] == "active" and controls[0]["waiver"]["expires"] == "2025-09-01"


def test_waived_control_is_checked_but_never_fixed(system):
    before = system.read("/etc/login.defs")
    waived = dict(catalog()[0], waiver=waiver(), waiver_state="active")

    report, _ = run(system, [waived])

    result = report["results"][0]
    assert result["status"] == "waived"
    assert result["changed"] is False and result["diff"] == []
    assert result["evidence"]["found"]["values"] == ["99999"]
    assert "not compliant" in result["reason"] and "ciso@gemeente.example" in result["reason"]
    assert result["waiver"]["state"] == "active"
    assert system.read("/etc/login.defs") == before


def test_expired_waiver_is_enforced_and_shown(system):
    expired = dict(catalog()[0], waiver=waiver(expires="2020-01-01"), waiver_state="expired")

    audit, _ = run(system, [expired], mode="audit")
    applied, _ = run(system, [expired])

    assert audit["results"][0]["status"] == "fail"
    assert "waiver expired on 2020-01-01" in audit["results"][0]["reason"]
    assert applied["results"][0]["status"] == "fixed"
    assert applied["results"][0]["waiver"]["state"] == "expired"
    assert "PASS_MAX_DAYS 365" in system.read("/etc/login.defs")


def test_action_plugin_prepare_validates_before_anything_runs():
    broken = catalog()
    broken[1] = dict(broken[1], level="critical")
    with pytest.raises(ControlError, match="LZ-KM-001: level"):
        prepare({"controls": broken, "mode": "apply"}, [], "h", today=TODAY)

    duplicate = [catalog()[0], catalog()[0]]
    with pytest.raises(ControlError, match="LZ-ACC-001: id: is used by more than one control"):
        prepare({"controls": duplicate}, [], "h", today=TODAY)

    unknown_type = [dict(catalog()[0], type="registry_key")]
    with pytest.raises(ControlError, match="LZ-ACC-001: type: unknown type 'registry_key'"):
        prepare({"controls": unknown_type}, [], "h", today=TODAY)


def test_action_plugin_prepare_annotates_and_moves_secrets_out():
    account = control(
        "local_account", {"name": "breakglass", "password_hash": "$y$j9T$salt$HASHVALUE"}, "LZ-ACC-009", risk="medium"
    )
    args, warnings = prepare(
        {"controls": [*catalog(), account], "mode": "apply"}, [waiver(expires="2025-06-10")], "gem-app-01", today=TODAY
    )

    assert args["controls"][0]["waiver_state"] == "active"
    assert "password_hash" not in args["controls"][2]["params"]
    assert "HASHVALUE" not in repr(args["controls"])
    assert args["secret_params"] == {"LZ-ACC-009": {"password_hash": "$y$j9T$salt$HASHVALUE"}}
    assert len(warnings) == 1 and "9 days" in warnings[0]


def test_action_plugin_prepare_leaves_rollback_alone():
    args, warnings = prepare({"mode": "rollback", "rollback_run": "r1"}, [], "h")
    assert args == {"mode": "rollback", "rollback_run": "r1"} and warnings == []


@pytest.mark.parametrize("hosts", [["all"], ["gem-app*"], ["app_servers"], "gem-app-01"])
def test_a_waiver_names_a_host_a_pattern_a_group_or_all(hosts):
    controls, _ = annotate(catalog(), [waiver(hosts=hosts)], "gem-app-01", groups=["app_servers"], today=TODAY)
    assert controls[0]["waiver_state"] == "active"


def test_a_waiver_for_a_group_the_host_is_not_in_does_not_match():
    controls, _ = annotate(catalog(), [waiver(hosts=["backup_servers"])], "gem-app-01", groups=["app_servers"])
    assert "waiver" not in controls[0]


def test_a_waiver_of_a_switched_off_control_is_valid_and_waives_nothing_here():
    known = ["LZ-ACC-001", "LZ-KM-001", "LZ-SSH-009"]
    controls, warnings = annotate(catalog(), [waiver(control_id="LZ-SSH-009")], "h", known_ids=known, today=TODAY)
    assert not any("waiver" in c for c in controls)
    assert warnings == []


def test_the_action_plugin_passes_groups_and_known_ids_on():
    args = {"controls": catalog(), "mode": "apply"}
    module_args, _ = prepare(
        args, [waiver(hosts=["app_servers"])], "gem-app-01", groups=["app_servers"], known_ids=[], today=TODAY
    )
    assert module_args["controls"][0]["waiver_state"] == "active"
    with pytest.raises(WaiverError, match="unknown control id 'LZ-NOPE-001'"):
        prepare(args, [waiver(control_id="LZ-NOPE-001")], "h", known_ids=["LZ-ACC-001"], today=TODAY)
