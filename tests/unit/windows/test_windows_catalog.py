"""Invariants of the windows_baseline catalog, and that every control, rendered with the role's
defaults, passes the engine's own checks (no Windows needed: this is all controller side)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows import catalog as windows_catalog
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.management import PARTS
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import TYPES
from windows_testdata import ROLE, ROOT, raw_catalog, rendered_catalog

from landingzone.card import known_control_ids

CATALOG = raw_catalog()
CONTROLS = [control for controls in CATALOG.values() for control in controls]
BY_ID = {control["id"]: control for control in CONTROLS}
CONTENT_AREAS = {
    "accounts", "user_rights", "security_options", "uac", "audit_policy", "logging", "defender", "asr", "firewall",
    "services", "features", "network", "credentials", "winrm", "rdp", "management", "removable_media",
    "screen_lock", "updates", "laps", "bitlocker", "system", "session_host",
}  # fmt: skip


def test_the_catalog_has_at_least_200_controls_in_every_area():
    assert len(CONTROLS) >= 200
    assert set(CATALOG) == CONTENT_AREAS
    assert all(CATALOG[area] for area in CONTENT_AREAS)


def test_each_file_holds_one_area_named_after_it():
    for path in (ROLE / "controls").glob("*.yml"):
        assert path.read_text(encoding="utf-8").count("\n" + path.stem + ":\n") == 1, path.name


def test_ids_are_unique_and_one_prefix_per_area():
    assert not [cid for cid, count in Counter(c["id"] for c in CONTROLS).items() if count > 1]
    prefixes = {
        area: {re.match(r"^(LZW-[A-Z]+)-\d{3}$", c["id"]).group(1) for c in controls}
        for area, controls in CATALOG.items()
    }
    assert all(len(found) == 1 for found in prefixes.values()), prefixes
    assert len({found.pop() for found in prefixes.values()}) == len(prefixes)


# Settings CIS Windows 11 v5.0.1 has no recommendation for and the Microsoft security baseline
# does not set: they cite no benchmark rather than one that does not exist (references/).
WITHOUT_BENCHMARK = {
    "LZW-ACC-014", "LZW-SEC-018", "LZW-SEC-022", "LZW-SVC-004", "LZW-UPD-001", "LZW-UPD-002", "LZW-URA-005",
}  # fmt: skip


def test_every_type_is_used_and_every_control_has_a_reference():
    assert {c["type"] for c in CONTROLS} == set(TYPES)
    for control in CONTROLS:
        assert control["cyfun"] and control["cyfun_2025"], control["id"]
    assert {c["id"] for c in CONTROLS if not c["cis"] and not c.get("ms_baseline")} == WITHOUT_BENCHMARK


def test_the_engine_accepts_the_whole_catalog_rendered_with_the_defaults():
    controls = windows_catalog.flatten(rendered_catalog())
    assert len(controls) == len(CONTROLS)
    for edition in (2023, 2025):
        levels = [
            len(windows_catalog.select(controls, level, [], edition)) for level in ("basic", "important", "essential")
        ]
        assert levels[0] < levels[1] < levels[2]


def test_the_management_path_is_three_controls_one_per_part():
    parts = sorted(c["management_path"] for c in CONTROLS if c.get("management_path"))
    assert parts == sorted(PARTS)
    assert all(c["level"] == "basic" and "configured_when" not in c for c in CONTROLS if c.get("management_path"))


@pytest.mark.parametrize(
    ("control_id", "expected"),
    [
        ("LZW-ACC-001", {"key": "MinimumPasswordLength", "compare": "min", "value": 14}),
        ("LZW-NET-001", {"name": "EnableMulticast", "value": 0}),
        ("LZW-SEC-039", {"name": "LmCompatibilityLevel", "value": 5}),
        ("LZW-CRED-001", {"name": "RunAsPPL"}),
        ("LZW-LOG-001", {"name": "EnableScriptBlockLogging", "value": 1}),
        ("LZW-WRM-001", {"name": "AllowBasic", "value": 0}),
        ("LZW-WRM-002", {"name": "AllowUnencryptedTraffic", "value": 0}),
        ("LZW-RDP-001", {"name": "UserAuthentication", "value": 1}),
        ("LZW-MED-001", {"name": "NoDriveTypeAutoRun", "value": 255}),
        ("LZW-FEA-001", {"name": "SMB1Protocol"}),
    ],
)
def test_the_brief_s_settings_are_the_real_windows_ones(control_id, expected):
    params = windows_catalog.flatten(rendered_catalog())
    control = next(c for c in params if c["id"] == control_id)
    assert expected.items() <= control["params"].items()


def test_asr_rules_are_distinct_guids_in_block_mode_and_include_lsass():
    rules = [c["params"] for c in CONTROLS if c["type"] == "asr_rule"]
    assert len({r["rule"] for r in rules}) == len(rules) >= 15
    assert all(r["action"] == "block" for r in rules)
    assert "9e6c4e1f-7d60-472f-ba1a-a39ef669e4b2" in {r["rule"] for r in rules}


def test_firewall_is_on_and_blocks_inbound_for_every_profile():
    profiles = {
        (c["params"]["profile"], c["params"]["setting"]): c["params"]["value"]
        for c in CONTROLS
        if c["type"] == "firewall_profile"
    }
    for profile in ("Domain", "Private", "Public"):
        assert profiles[(profile, "Enabled")] == "True"
        assert profiles[(profile, "DefaultInboundAction")] == "Block"


def test_removable_storage_is_denied_only_for_class_4_data_or_when_asked():
    selected = {
        label: {
            c["id"]
            for c in windows_catalog.select(windows_catalog.flatten(rendered_catalog(**context)), "essential", [])
        }
        for label, context in {
            "class3": {"data_classification": 3},
            "class4": {"data_classification": 4},
            "class3-deny": {"data_classification": 3, "windows_baseline_removable_storage": "deny"},
            "class4-allow": {"data_classification": 4, "windows_baseline_removable_storage": "allow"},
        }.items()
    }
    assert "LZW-MED-004" not in selected["class3"] and "LZW-MED-004" in selected["class4"]
    assert "LZW-MED-004" in selected["class3-deny"] and "LZW-MED-004" not in selected["class4-allow"]


def test_the_cli_knows_the_windows_ids_so_the_card_may_waive_them():
    ids = known_control_ids(ROOT)
    assert set(BY_ID) <= ids


def test_the_controls_page_is_generated_from_the_catalog():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "catalog_docs.py"), "--check", "roles/windows_baseline"],
        cwd=ROOT, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


# Registry places Windows reads when it starts (or when their service starts, which for these is at boot).
READ_AT_START = re.compile(
    r"^HKLM:\\SYSTEM\\CurrentControlSet\\(Services\\|Control\\Session Manager|Policies\\EarlyLaunch)"
)


def test_the_values_windows_reads_at_start_say_whether_a_fix_needs_a_restart():
    for control in CONTROLS:
        if control["type"] == "registry_value" and READ_AT_START.match(control["params"]["path"]):
            assert isinstance(control.get("reboot_required"), bool), f"{control['id']}: state reboot_required"
    for control_id in ("LZW-CRED-001", "LZW-NET-003", "LZW-NET-006", "LZW-SEC-043", "LZW-SEC-044"):
        assert BY_ID[control_id]["reboot_required"] is True, control_id


def test_a_reboot_flag_that_is_not_a_boolean_is_named():
    catalog = rendered_catalog()
    catalog["network"][0]["reboot_required"] = "yes"
    with pytest.raises(windows_catalog.CatalogError, match=r"LZW-NET-001: reboot_required: must be true or false"):
        windows_catalog.flatten(catalog)
