# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""The Windows engine: the whole catalog as ONE PowerShell script, run with one execution of
ansible.windows.win_powershell over WinRM, and parsed into the result schema of the Linux engine.

Everything before that single execution runs here, on the controller: the catalog, the switches,
the waivers and the management path are checked, and a mistake stops the task, naming the
control or the variable, before anything reaches the host.
"""

from __future__ import annotations

import hashlib

from ansible.plugins.action import ActionBase
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import results
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import (
    HOST_KINDS,
    check_switches,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.errors import ControlError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.waivers import WaiverError, annotate
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows import catalog, management, transport
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.parse import host_refusal, to_results
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.script import render_script
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import TYPES

RUNNER_MODULE = "ansible.windows.win_powershell"
WINDOWS_WAIVER_PREFIX = "LZW-"
MODES = ("apply", "audit")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(
        (
            "catalog",
            "level",
            "edition",
            "mode",
            "host_kind",
            "disabled",
            "waivers",
            "management_networks",
            "rdp_networks",
            "winrm_port",
            "rdp_port",
            "winrm_certificate_thumbprint",
            "identity",
            "management_account",
        )
    )

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = catalog.plain(dict(self._task.args))
        applying = args.get("mode", "apply") == "apply" and not self._task.check_mode
        try:
            job = prepare(
                args,
                hostname=task_vars.get("inventory_hostname", ""),
                groups=task_vars.get("group_names") or [],
                traits=transport.traits_of(self._connection),
                applying=applying,
            )
            # A value PowerShell cannot carry (a line break, a NUL) is refused here, before the host.
            script = render_script(job.plan, applying)
        except (ControlError, WaiverError, ValueError) as exc:
            result.update(failed=True, changed=False, msg=str(exc))
            return result
        module_result = self._execute_module(
            module_name=RUNNER_MODULE,
            module_args={"script": script, "error_action": "stop"},
            task_vars=task_vars,
        )
        if module_result.get("unreachable"):
            return dict(result, **module_result)
        result.update(report(job, module_result, applying, script))
        return result


class Job:
    """What one host runs: the plan (control, fixing) in order, and what is not applicable."""

    def __init__(self, plan, not_applicable, held_back, warnings, mode):
        self.plan, self.not_applicable, self.held_back, self.warnings, self.mode = (
            plan,
            not_applicable,
            held_back,
            warnings,
            mode,
        )


def _choice(args, name, choices, default):
    value = args.get(name, default)
    if value not in choices:
        raise ControlError(f"{name}: must be one of {', '.join(choices)}, got {value!r}")
    return value


def prepare(args, hostname, groups=(), traits=(), applying=True, today=None):
    """Check everything and decide, per control, whether this run may fix it."""
    mode = _choice(args, "mode", MODES, "apply")
    host_kind = _choice(args, "host_kind", HOST_KINDS, "virtual_pc")
    edition = catalog.in_edition_of(args.get("edition", catalog.DEFAULT_EDITION))
    waivers = args.get("waivers") or []
    if not isinstance(waivers, list):
        raise WaiverError(f"{management.VARIABLES['waivers']}: must be a list")
    controls = catalog.flatten(args.get("catalog"))
    known = [control["id"] for control in controls]
    disabled = check_switches(args.get("disabled") or [], known, management.VARIABLES["disabled"])
    management.refuse_switching_off(controls, disabled, waivers)
    settings = management.check_settings(
        {
            "management_networks": args.get("management_networks"),
            "rdp_networks": args.get("rdp_networks") or [],
            "winrm_port": args.get("winrm_port", 5986),
            "rdp_port": args.get("rdp_port", 3389),
            "certificate_thumbprint": args.get("winrm_certificate_thumbprint") or "",
        }
    )
    always = [catalog.in_edition(control, edition) for control in management.management_controls(controls, settings)]
    chosen = always + catalog.select(controls, args.get("level", "important"), disabled, edition)
    records = [catalog.engine_record(control) for control in chosen]
    records, refused_here = management.guard_user_rights(
        records, args.get("identity", "entra"), args.get("management_account") or "", hostname
    )
    # The card's waivers name controls of every catalog; the CLI checks those ids against all of
    # them. This engine takes the Windows ones, and checks those against the Windows catalog.
    ours = [
        w for w in waivers if not isinstance(w, dict) or str(w.get("control", "")).startswith(WINDOWS_WAIVER_PREFIX)
    ]
    records, warnings = annotate(records, ours, hostname, groups=groups, known_ids=known, today=today)
    plan, not_applicable, held_back = [], list(refused_here), {}
    for control in records:
        if host_kind not in control["applies_to"]:
            reason = f"applies to {', '.join(control['applies_to'])}; this host is a {host_kind.replace('_', ' ')}"
            not_applicable.append((control, reason))
            continue
        cut = sorted(set(control["breaks_transport"]) & set(traits))
        if cut:
            held_back[control["id"]] = " and ".join(transport.describe(trait) for trait in cut)
        waived = control.get("waiver_state") == "active"
        fixing = applying and not waived and not cut and not TYPES[control["type"]].AUDIT_ONLY
        plan.append((control, fixing))
    return Job(plan, not_applicable, held_back, warnings, mode)


def report(job, module_result, applying, script):
    engine = {
        "runner": RUNNER_MODULE,
        "module_executions": 1,
        "mode": job.mode if applying or job.mode == "audit" else "audit (check mode)",
        "script_sha256": hashlib.sha256(script.encode("utf-8")).hexdigest(),
        "script_bytes": len(script.encode("utf-8")),
        "host_errors": str(module_result.get("host_err") or "")[:2000],
    }
    refusal = host_refusal(module_result)
    if refusal:
        # One error for the host, naming why: not one per control that never ran.
        return {
            "results": [],
            "summary": results.summarise([]),
            "changed": False,
            "reboot_required": False,
            "failed": True,
            "msg": refusal,
            "engine": engine,
            "warnings": list(job.warnings),
        }
    records, problems = to_results(job.plan, module_result, applying, job.not_applicable, job.held_back)
    summary = results.summarise(records)
    warnings = list(job.warnings) + [f"host output: {problem}" for problem in problems]
    errors = summary["error"]
    return {
        "results": records,
        "summary": summary,
        # As linux_controls: an audit never reports a change; an apply in check mode reports the
        # change it would make, and each record says what apply would change.
        "changed": job.mode == "apply" and any(record["changed"] for record in records),
        "reboot_required": any(record["reboot_required"] for record in records),
        "failed": errors > 0,
        "msg": f"{errors} control(s) ended in error" if errors else "all controls processed",
        "engine": engine,
        "warnings": warnings,
    }
