"""audit_rule: one auditctl line in /etc/audit/rules.d/<file>, loaded with augenrules.

The check reads the rules file only: the kernel lists loaded rules (auditctl -l) in its own
canonical form, which is not yet compared here. The finding says so, so that an auditor never
takes the file for the loaded rules.
"""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_LIVE, Action

RULES_DIR = "/etc/audit/rules.d"
JUDGED_BY = "the rules file only (the loaded rules, auditctl -l, are not compared)"


def _path(params):
    return f"{RULES_DIR}/{params['file']}"


def check(params, ctx):
    path = _path(params)
    present = textedit.has_line(ctx.read_text(path), params["rule"])
    finding = Finding(
        compliant=present,
        found={"file": path, "present": present, "judged_by": JUDGED_BY},
        expected={"file": path, "present": True, "rule": textedit.normalise(params["rule"])},
        reason="" if present else f"rule missing from {path}",
    )
    if ctx.host_kind == "container":
        # No audit subsystem (nor CAP_AUDIT_CONTROL) inside a container: the live load is impossible.
        finding.live_reason = (
            f"audit rules cannot be loaded here (no audit subsystem in a container); persistent rule in {path}"
        )
    return finding


def fix(params, ctx, finding):
    path = _path(params)
    if not finding.found["present"]:
        text = textedit.ensure_text(ctx.read_text(path)) or textedit.MANAGED_HEADER + "\n"
        ctx.tx.stage_text(path, text.rstrip("\n") + "\n" + textedit.normalise(params["rule"]) + "\n", mode=0o640)
    if ctx.host_kind != "container":
        ctx.tx.add_action(
            Action(
                key=("augenrules",),
                description="augenrules --load",
                phase=PHASE_LIVE,
                argv=["augenrules", "--load"],
                requires=[path],
            )
        )
