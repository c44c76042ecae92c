"""Azure Virtual Desktop session hosts (windows_baseline_session_host): FSLogix profile containers,
redirection by the card's data class, screen capture protection and watermarking, session limits,
time zone redirection. Controller side, and the plugin end to end against the MOCK host."""

from __future__ import annotations

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows import catalog as windows_catalog
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.schema import validate_control
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import TYPES
from windows_host_mock import FakeWindowsHost, run_action
from windows_testdata import engine_args, raw_catalog, rendered_catalog

SESSION = {c["id"] for c in raw_catalog()["session_host"]}
REDIRECTION = {"LZW-AVD-010", "LZW-AVD-011", "LZW-AVD-012"}


def selected_ids(**context):
    controls = windows_catalog.flatten(rendered_catalog(**context))
    return {c["id"] for c in windows_catalog.select(controls, "basic", [])}


@pytest.mark.parametrize(
    ("session_host", "data_class", "expected"),
    [(False, 4, set()), (True, 3, SESSION - REDIRECTION), (True, 4, SESSION)],
)
def test_session_host_controls_follow_the_switch_and_redirection_the_data_class(session_host, data_class, expected):
    ids = selected_ids(windows_baseline_session_host=session_host, data_classification=data_class)
    assert ids & SESSION == expected


def test_every_session_host_control_is_for_virtual_pcs_only_and_waits_for_the_switch():
    for control in raw_catalog()["session_host"]:
        assert control["applies_to"] == ["virtual_pc"], control["id"]
        assert "windows_baseline_session_host" in control["configured_when"] or control["id"] in REDIRECTION


def test_on_a_server_the_session_host_controls_are_not_applicable():
    args = engine_args(catalog=rendered_catalog(windows_baseline_session_host=True), host_kind="server")
    job = prepare(args, "gem-srv-01")
    reasons = {control["id"]: reason for control, reason in job.not_applicable}
    assert set(reasons) >= SESSION - REDIRECTION
    assert all("this host is a server" in reasons[cid] for cid in SESSION - REDIRECTION)


def test_the_limits_profile_shares_and_exclusions_come_from_the_role_variables():
    catalog = rendered_catalog(
        windows_baseline_session_host=True,
        windows_baseline_session_idle_minutes=20,
        windows_baseline_session_disconnected_minutes=90,
        windows_baseline_fslogix_vhd_locations=["\\\\fs1\\profiles", "\\\\fs2\\profiles"],
        windows_baseline_management_account="GEMEENTE\\svc-landingzone",
    )
    controls = {c["id"]: c for c in windows_catalog.flatten(catalog)}
    assert controls["LZW-AVD-030"]["params"]["value"] == 20 * 60000
    assert controls["LZW-AVD-031"]["params"]["value"] == 90 * 60000
    assert controls["LZW-AVD-002"]["params"] == {
        "path": "HKLM:\\SOFTWARE\\FSLogix\\Profiles", "name": "VHDLocations",
        "value": ["\\\\fs1\\profiles", "\\\\fs2\\profiles"], "kind": "multi_string", "compare": "eq",
    }  # fmt: skip
    assert controls["LZW-AVD-005"]["params"]["members"] == ["local_administrator", "GEMEENTE\\svc-landingzone"]


@pytest.mark.parametrize(
    ("members", "problem"),
    [
        ([], "needs at least one account"),
        (["beheer"], "'beheer' is not a SID"),
        (["a,b\\c"], "is not a SID"),
        (["GEMEENTE\\x'; Stop-Computer"], "is not a SID"),
    ],
)
def test_a_bad_excluded_account_is_named_with_its_field(members, problem):
    control = {
        "id": "LZW-AVD-005", "title": "t", "type": "local_group_members", "level": "basic", "risk": "low",
        "applies_to": ["virtual_pc"], "params": {"group": "FSLogix Profile Exclude List", "members": members},
    }  # fmt: skip
    with pytest.raises(ValueError, match=rf"LZW-AVD-005: params\.members: .*{problem}"):
        validate_control(control, TYPES)


def test_a_session_host_is_brought_in_line_in_one_round_trip():
    """The mock host: its profile exclusion and screen capture protection drift, and get fixed."""
    drift = {
        "LZW-AVD-005": {
            "state": "noncompliant",
            "found": {"members": []},
            "reason": "local_administrator is not a member",
        },
        "LZW-AVD-020": {"state": "noncompliant", "found": 0, "value_type": "REG_DWORD"},
    }
    host = FakeWindowsHost(drift)
    args = engine_args(catalog=rendered_catalog(windows_baseline_session_host=True, data_classification=4))
    result, calls = run_action(args, host)
    by_id = {r["id"]: r for r in result["results"]}
    assert len(calls) == 1 and by_id["LZW-AVD-005"]["status"] == "fixed"
    assert by_id["LZW-AVD-020"]["status"] == "fixed" and by_id["LZW-AVD-020"]["reboot_required"] is True
    assert set(by_id) >= SESSION
