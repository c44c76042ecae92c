#!/usr/bin/env python3
"""Golden scripts: what the renderers produce, one file per control type, plus a whole script
for audit and for apply. The tests compare against them; when a renderer changes on purpose,
regenerate them deliberately and review the diff:

    python tests/unit/windows/windows_golden.py --write
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The collection, from the checkout (as tests/conftest.py does), and this directory's helpers.
sys.path[:0] = [str(HERE), str(HERE.parents[2] / "collections")]

from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.script import (  # noqa: E402
    render_control,
    render_script,
)
from windows_testdata import FIXTURES, engine_args, rendered_catalog  # noqa: E402

GOLDEN = FIXTURES / "golden"
# One real catalog control per type (two where a type renders two ways).
SAMPLES = {
    "registry_value": "LZW-NET-001",
    "registry_value_multi_string": "LZW-SEC-029",
    "security_policy": "LZW-ACC-001",
    "security_policy_user_right": "LZW-URA-012",
    "security_policy_user_right_local_logon": "LZW-URA-015",
    "security_policy_user_right_exact": "LZW-URA-003",
    "audit_policy": "LZW-AUD-001",
    "service": "LZW-SVC-001",
    "service_running": "LZW-SVC-023",
    "optional_feature": "LZW-FEA-001",
    "firewall_profile": "LZW-FW-002",
    "firewall_rule": "LZW-MGT-002",
    "firewall_builtin_rules": "LZW-FW-022",
    "defender_preference": "LZW-DEF-001",
    "asr_rule": "LZW-ASR-004",
    "bitlocker_status": "LZW-BL-001",
    "laps_policy": "LZW-LAPS-003",
    "credential_guard": "LZW-CRED-002",
    "winrm_listener": "LZW-MGT-001",
    "winrm_http_listener": "LZW-WRM-007",
    "rdp_access": "LZW-MGT-003",
    "local_group_members": "LZW-AVD-005",
}
WHOLE_SCRIPT_IDS = ("LZW-ACC-001", "LZW-AUD-001", "LZW-ASR-004")


def plan():
    catalog = rendered_catalog(data_classification=4, windows_baseline_session_host=True)
    args = engine_args(catalog=catalog, level="essential", rdp_networks=["10.40.0.0/22"])
    return prepare(args, "gem-vpc-01", applying=True).plan


def expected_files():
    controls = {control["id"]: control for control, _ in plan()}
    files = {}
    for name, control_id in SAMPLES.items():
        control = controls[control_id]
        files[f"{name}.ps1"] = (
            "# apply\n"
            + render_control(control, fixing=True)
            + "\n\n# audit\n"
            + render_control(control, fixing=False)
            + "\n"
        )
    small = [
        (control, fixing)
        for control, fixing in plan()
        if control.get("management_path") or control["id"] in WHOLE_SCRIPT_IDS
    ]
    files["whole_apply.ps1"] = render_script(small, applying=True)
    files["whole_audit.ps1"] = render_script(small, applying=False)
    return files


def main(argv):
    write = "--write" in argv
    stale = []
    for name, text in expected_files().items():
        path = GOLDEN / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(name)
            if write:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    print(("rewrote: " if write else "out of date: ") + (", ".join(stale) or "nothing"))
    return 0 if write or not stale else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
