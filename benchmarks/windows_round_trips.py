"""WinRM round trips per host for the whole Windows baseline (a script, not a test).

A round trip is one module execution over WinRM. The windows_controls action plugin is run
against the recording mock Windows host of the unit tests (tests/unit/windows/windows_host_mock.py: a
fake connection and a fake win_powershell; no Windows host exists here), which counts every
module execution the plugin makes. The reference is what a role with one task per setting
(win_regedit, win_security_policy, win_audit_policy_system, win_service, win_firewall_rule ...)
needs: one module execution per setting the catalog manages.

Also printed: the size of the script sent, and the controller time to check the catalog,
render the script and parse the answers (the host's own time cannot be measured here).

    .venv/bin/python benchmarks/windows_round_trips.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "unit" / "windows"), str(ROOT / "collections"), str(ROOT / "src")]

from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare  # noqa: E402
from windows_host_mock import FakeWindowsHost, run_action  # noqa: E402
from windows_testdata import engine_args, rendered_catalog  # noqa: E402

# Settings a control manages, where a one-task-per-setting role needs more than one task for it.
SETTINGS_PER_TYPE = {
    "rdp_access": lambda params: 5,  # fDenyTSConnections, NLA, TermService, TCP rule, UDP rule
    "winrm_listener": lambda params: 2,  # the listener, the WinRM start mode
    "credential_guard": lambda params: 3,  # three Device Guard policy values
    "firewall_builtin_rules": lambda params: len(params["names"]),
}


def settings_of(args):
    """The settings the run manages: what a role with one task per setting would execute."""
    plan = prepare(args, "gem-vpc-01").plan
    return sum(SETTINGS_PER_TYPE.get(c["type"], lambda params: 1)(c["params"]) for c, _ in plan)


def measure(level, mode, check_mode, host, context):
    args = engine_args(catalog=rendered_catalog(data_classification=4, **context), level=level, mode=mode)
    started = time.perf_counter()
    result, calls = run_action(args, host, check_mode=check_mode)
    elapsed = time.perf_counter() - started
    return result, calls, elapsed, settings_of(args)


def main():
    # A host that drifted on a handful of controls, so the first apply has something to fix.
    drift = {cid: {"state": "noncompliant", "found": "drifted"} for cid in ("LZW-ACC-001", "LZW-NET-001", "LZW-FW-002")}
    rows = []
    # The three levels on a virtual PC, and the highest as an Azure Virtual Desktop session host.
    variants = (
        ("basic", "basic", {}),
        ("important", "important", {}),
        ("essential", "essential", {}),
        ("essential, session host", "essential", {"windows_baseline_session_host": True}),
    )
    for name, level, context in variants:
        host = FakeWindowsHost(drift)
        for label, mode, check_mode in (
            ("first apply", "apply", False),
            ("second apply", "apply", False),
            ("audit", "audit", False),
            ("check mode", "apply", True),
        ):
            result, calls, elapsed, settings = measure(level, mode, check_mode, host, context)
            controls = [r for r in result["results"] if r["status"] != "not_applicable"]
            rows.append((name, label, len(calls), len(controls), settings, result["engine"]["script_bytes"], elapsed,
                         result["summary"]["fixed"], result["changed"]))  # fmt: skip
    header = (
        "level",
        "run",
        "round trips",
        "controls",
        "one task per setting",
        "script bytes",
        "controller s",
        "fixed",
        "changed",
    )
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for level, label, trips, controls, settings, size, elapsed, fixed, changed in rows:
        print(f"{level} | {label} | {trips} | {controls} | {settings} | {size} | {elapsed:.3f} | {fixed} | {changed}")
    worst = max(row[2] for row in rows)
    least = min(row[4] for row in rows)
    print(f"\nround trips per host: at most {worst} (target <= 3); a role with one task per setting: {least} or more")
    return 0 if worst <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
