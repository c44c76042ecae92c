"""Waivers on Windows controls: the Linux engine's matching and expiry rules, the same code."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare, report
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.waivers import WaiverError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.management import ManagementError
from test_windows_parsing import all_compliant, line
from windows_testdata import engine_args

TODAY = datetime.date(2026, 11, 28)


def waiver(control="LZW-BL-001", hosts="all", expires="2027-03-31"):
    return {
        "control": control,
        "hosts": hosts,
        "justification": "AVD session hosts are encrypted by the platform",
        "approver": "ciso@gemeente.example",
        "expires": expires,
        "compensating_measure": "platform-managed disk encryption, checked quarterly",
    }


def planned(job, control_id):
    return next((control, fixing) for control, fixing in job.plan if control["id"] == control_id)


def test_an_active_waiver_is_checked_not_fixed_and_reported_waived():
    job = prepare(engine_args(waivers=[waiver("LZW-NET-001")]), "gem-vpc-01", today=TODAY)
    control, fixing = planned(job, "LZW-NET-001")
    assert control["waiver_state"] == "active" and fixing is False
    answer = line("LZW-NET-001", state="noncompliant", reason="set to 1", found=1)
    record = next(
        r
        for r in report(job, {"output": all_compliant(job, **{"LZW-NET-001": answer})}, True, "s")["results"]
        if r["id"] == "LZW-NET-001"
    )
    assert record["status"] == "waived"
    assert record["waiver"]["state"] == "active" and "approved by ciso@gemeente.example" in record["reason"]


def test_an_expired_waiver_no_longer_holds_the_fix_back():
    job = prepare(engine_args(waivers=[waiver("LZW-NET-001", expires="2026-11-27")]), "gem-vpc-01", today=TODAY)
    control, fixing = planned(job, "LZW-NET-001")
    assert control["waiver_state"] == "expired" and fixing is True
    answer = line("LZW-NET-001", state="noncompliant", fixed=True, after={"state": "compliant", "found": 0})
    record = next(
        r
        for r in report(job, {"output": all_compliant(job, **{"LZW-NET-001": answer})}, True, "s")["results"]
        if r["id"] == "LZW-NET-001"
    )
    assert record["status"] == "fixed" and "waiver expired on 2026-11-27" in record["reason"]


def test_the_expiry_day_itself_is_still_active():
    job = prepare(engine_args(waivers=[waiver("LZW-NET-001", expires="2026-11-28")]), "h", today=TODAY)
    assert planned(job, "LZW-NET-001")[0]["waiver_state"] == "active"
    assert any("0 days left" in warning for warning in job.warnings)


@pytest.mark.parametrize(
    ("hosts", "matches"), [("all", True), (["gem-vpc-*"], True), (["virtual_pcs"], True), (["gem-srv-01"], False)]
)
def test_hosts_patterns_and_groups_match_as_on_linux(hosts, matches):
    job = prepare(
        engine_args(waivers=[waiver("LZW-NET-001", hosts=hosts)]), "gem-vpc-01", groups=["virtual_pcs"], today=TODAY
    )
    assert ("waiver" in planned(job, "LZW-NET-001")[0]) is matches


def test_an_unknown_windows_id_is_an_error_before_the_host_is_touched():
    with pytest.raises(WaiverError, match="LZW-NET-999.*unknown control id"):
        prepare(engine_args(waivers=[waiver("LZW-NET-999")]), "h", today=TODAY)


def test_a_waiver_for_a_switched_off_control_is_valid_and_waives_nothing_here():
    job = prepare(engine_args(disabled=["LZW-NET-001"], waivers=[waiver("LZW-NET-001")]), "h", today=TODAY)
    assert all(control["id"] != "LZW-NET-001" for control, _ in job.plan)


def test_waivers_of_other_catalogs_are_left_to_their_role():
    job = prepare(engine_args(waivers=[waiver("LZ-UPD-003", hosts=["demo-app1"])]), "h", today=TODAY)
    assert not any("waiver" in control for control, _ in job.plan)


def test_a_waiver_missing_a_field_is_an_error_naming_it():
    broken = waiver("LZW-NET-001")
    del broken["approver"]
    with pytest.raises(WaiverError, match="LZW-NET-001: approver: is required"):
        prepare(engine_args(waivers=[broken]), "h", today=TODAY)


def test_the_management_path_cannot_be_waived():
    with pytest.raises(ManagementError, match="windows_baseline_waivers: LZW-MGT-002 .* cannot be waived"):
        prepare(engine_args(waivers=[waiver("LZW-MGT-002")]), "h", today=TODAY)
