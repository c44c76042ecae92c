"""apparmor_confined_process: no running program that has a loaded profile runs unconfined.

A program started before its profile was loaded (AppArmor installed on a running host, a
profile added later) stays unconfined until it starts again. The check reads, for every process
under /proc, its AppArmor label and its executable, and names each unconfined one whose
executable is a loaded profile's name, as aa-status counts them. The fix restarts the service
unit a process belongs to; a process outside a service (a login session, a command a person
runs) is only reported: it is confined from its next start, or after a reboot.
"""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import apparmor
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import (
    PHASE_RELOAD,
    Action,
)

# false: only report (a host whose services may not restart outside a maintenance window).
PARAMS = {"restart_services": param("bool", default=True)}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`restart_services` (default true)"
DOC_MANAGES = (
    "running processes (`/proc/*/attr`); restarts the service unit of an unconfined one that has a profile, "
    "reports the others with their names"
)


def unconfined_with_profile(ctx, profiles):
    """[{pid, name, exe, unit}] of the processes that run unconfined though a profile for them is loaded."""
    found = []
    for pid in apparmor.process_ids(ctx):
        exe = apparmor.process_executable(ctx, pid)
        if exe and exe in profiles and apparmor.process_label(ctx, pid) == "unconfined":
            name = apparmor.process_name(ctx, pid)
            found.append({"pid": pid, "name": name, "exe": exe, "unit": apparmor.process_unit(ctx, pid)})
    return found


def check(params, ctx):
    unjudgeable = apparmor.unjudgeable(ctx, {"unconfined_with_profile": []})
    if unjudgeable is not None:
        return unjudgeable
    offenders = unconfined_with_profile(ctx, apparmor.loaded_profiles(ctx))
    finding = Finding(
        compliant=not offenders,
        found={"enabled": True, "unconfined_with_profile": offenders},
        expected={"enabled": True, "unconfined_with_profile": []},
        reason="; ".join(f"{p['name']} (pid {p['pid']}, {p['exe']}) runs unconfined" for p in offenders),
    )
    restartable = [p for p in offenders if p["unit"] and params["restart_services"]]
    finding.held_back = [
        f"{p['name']} (pid {p['pid']}) is not a service's: confined from its next start or after a reboot"
        if not p["unit"]
        else f"{p['name']} (pid {p['pid']}): {p['unit']} is not restarted (restart_services is false)"
        for p in offenders
        if p not in restartable
    ]
    finding.reboot_required = bool(finding.held_back)
    finding.fixable = bool(restartable)
    return finding


def fix(params, ctx, finding):
    if finding.live_reason or not params["restart_services"]:  # a container: the host's to judge
        return
    for unit in sorted({p["unit"] for p in finding.found["unconfined_with_profile"] if p["unit"]}):
        ctx.tx.add_action(
            Action(
                key=("restart", unit),  # one restart, shared with a configuration change of the same unit
                description=f"restart {unit} under its AppArmor profile",
                phase=PHASE_RELOAD,
                argv=["systemctl", "restart", unit],
            )
        )
