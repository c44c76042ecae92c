"""service: a systemd unit enabled or not, started, stopped or masked."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_UNITS, Action

PARAMS = {
    "name": param("str", required=True),
    "enabled": param("bool"),
    "state": param("str", choices=("started", "stopped", "masked")),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`name`, `enabled`, `state` (`started`/`stopped`/`masked`)"
DOC_MANAGES = "systemd units"


def validate(control_id, params):
    if params["enabled"] is None and params["state"] is None:
        fail(control_id, "params", "a service control needs enabled, state or both")


ENABLED_STATES = {"enabled", "enabled-runtime", "static", "alias", "indirect", "generated"}


def unit_name(name):
    return name if "." in name else f"{name}.service"


def unit_state(ctx, unit):
    """(enablement, activity) as systemctl reports them; 'not-found' for unknown units."""
    enabled = ctx.run(["systemctl", "is-enabled", unit])
    enablement = enabled.stdout.strip() or "not-found"
    if "No such file" in enabled.stderr or "not found" in enabled.stderr:
        enablement = "not-found"
    activity = ctx.run(["systemctl", "is-active", unit]).stdout.strip() or "unknown"
    return enablement, activity


def _problems(params, enablement, activity):
    problems = []
    if params["state"] == "masked" and enablement != "masked":
        problems.append(f"is {enablement}, not masked")
    if params["state"] in ("masked", "stopped") and activity in ("active", "activating", "reloading"):
        problems.append(f"is {activity}")
    if params["state"] == "started" and activity != "active":
        problems.append(f"is {activity}, not active")
    if params["enabled"] is True and enablement not in ENABLED_STATES:
        problems.append(f"is {enablement}, not enabled")
    if params["enabled"] is False and enablement in ("enabled", "enabled-runtime"):
        problems.append(f"is {enablement}")
    return problems


def check(params, ctx):
    unit = unit_name(params["name"])
    enablement, activity = unit_state(ctx, unit)
    problems = _problems(params, enablement, activity)
    expected = {"enabled": params["enabled"], "state": params["state"]}
    finding = Finding(
        compliant=not problems,
        found={"unit": unit, "enabled": enablement, "active": activity},
        expected=expected,
        reason=f"{unit} " + "; ".join(problems) if problems else "",
    )
    # A masked or missing unit was never evaluated, so its ConditionResult says nothing.
    evaluated = enablement not in ("masked", "not-found")
    if params["state"] == "started" and activity != "active" and evaluated and condition_failed(ctx, unit):
        # systemd itself skips the unit here (chrony without CAP_SYS_TIME, auditd without an
        # audit subsystem in a container): starting it again would change nothing.
        finding.live_reason = f"{unit} does not start on this host: systemd skips it because its unit conditions fail"
    return finding


def condition_failed(ctx, unit):
    """Whether systemd skipped the unit on this host because its conditions fail. A unit systemd never
    tried to start reads ConditionResult=no as well, with no timestamp: that one was not skipped."""
    result = ctx.run(
        ["systemctl", "show", "--property=ConditionResult", "--property=ConditionTimestampMonotonic", unit]
    )
    shown = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line) if result.ok else {}
    return shown.get("ConditionResult") == "no" and shown.get("ConditionTimestampMonotonic", "0") not in ("", "0")


def _verbs(params, found, live_reason=""):
    enablement, activity = found["enabled"], found["active"]
    verbs = []
    if params["state"] == "masked":
        return [["mask", "--now"]]
    if enablement == "masked" and (params["enabled"] or params["state"] == "started"):
        verbs.append(["unmask"])
    if params["enabled"] is True and enablement not in ENABLED_STATES:
        verbs.append(["enable"])
    if params["enabled"] is False and enablement in ("enabled", "enabled-runtime"):
        verbs.append(["disable"])
    if params["state"] == "started" and activity != "active" and not live_reason:
        verbs.append(["start"])
    if params["state"] == "stopped" and activity in ("active", "activating", "reloading"):
        verbs.append(["stop"])
    return verbs


def fix(params, ctx, finding):
    unit = finding.found["unit"]
    for verb in _verbs(params, finding.found, finding.live_reason):
        ctx.tx.add_action(
            Action(
                key=("unit", unit, verb[0]),
                description=f"systemctl {verb[0]} {unit}",
                phase=PHASE_UNITS,
                argv=["systemctl", *verb, unit],
            )
        )
