"""audit_rule: one auditctl line in /etc/audit/rules.d/<file>, loaded with augenrules.

The file is not the whole story: the kernel applies the rules it has loaded. Where auditctl
can be asked, a control passes only if its rule is in the file AND the kernel lists it
(`auditctl -l`; a control rule such as `-e 2` by its value in `auditctl -s`), both sides
compared in one form (audit_kernel.signature). A rule in the file but not loaded is loaded
again (augenrules --load), and the load is judged after it ran.

Once the kernel's rules are locked (`-e 2`), no rule can be loaded or removed until the next
boot: a rule missing from the kernel then fails, says so and asks for the reboot; a rule the
fix writes is loaded at that boot. Where auditctl cannot be asked (a container has no
CAP_AUDIT_CONTROL and no auditd; a host without auditd), only the file is read, and the
finding says so and why.
"""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import audit_kernel, textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_LIVE, Action

RULES_DIR = "/etc/audit/rules.d"
FILE_ONLY = "the rules file only"
IN_A_CONTAINER = f"{FILE_ONLY} (a container cannot list the kernel's audit rules: no audit subsystem)"
LOCKED = "the kernel's audit rules are locked (-e 2): the rules files differ from the loaded rules until the next boot"


def _path(params):
    return f"{RULES_DIR}/{params['file']}"


def check(params, ctx):
    path = _path(params)
    rule = textedit.normalise(params["rule"])
    present = textedit.has_line(ctx.read_text(path), params["rule"])
    found = {"file": path, "present": present}
    expected = {"file": path, "present": True, "rule": rule}
    missing = "" if present else f"rule missing from {path}"
    if ctx.host_kind == "container":
        found["judged_by"] = IN_A_CONTAINER
        # No audit subsystem (nor CAP_AUDIT_CONTROL) inside a container: the live load is impossible.
        return Finding(
            compliant=present,
            found=found,
            expected=expected,
            reason=missing,
            live_reason=(
                f"audit rules cannot be loaded here (no audit subsystem in a container); persistent rule in {path}"
            ),
        )
    try:
        kernel = audit_kernel.kernel_rules(ctx)
    except audit_kernel.AuditUnavailable as error:
        found.update(loaded=None, judged_by=f"{FILE_ONLY} ({error})")
        return Finding(compliant=present, found=found, expected=expected, reason=missing)
    judged_by = kernel.judged_by(rule)
    loaded = kernel.loaded(rule)
    found.update(loaded=loaded, judged_by=judged_by, locked=kernel.locked)
    expected["loaded"] = True
    if audit_kernel.is_control_rule(rule):
        found["shown"] = kernel.shown(rule)
    problems = [missing] if missing else []
    if not loaded:
        problems.append(f"not loaded in the kernel ({judged_by} does not show it)")
        if kernel.locked:
            problems.append(LOCKED)
    return Finding(
        compliant=not problems,
        found=found,
        expected=expected,
        reason="; ".join(problems),
        reboot_required=not loaded and kernel.locked,
    )


def _verify_loaded(rule):
    """After augenrules --load: the kernel must now show the rule (a load can skip a line)."""

    def verify(ctx):
        try:
            kernel = audit_kernel.kernel_rules(ctx, after_load=True)
        except audit_kernel.AuditUnavailable as error:
            return CommandResult(1, "", str(error))
        if kernel.loaded(rule):
            return CommandResult(0, "", "")
        return CommandResult(1, "", f"augenrules --load ran, but {kernel.judged_by(rule)} does not show the rule")

    return verify


def fix(params, ctx, finding):
    path = _path(params)
    rule = textedit.normalise(params["rule"])
    requires = []
    if not finding.found["present"]:
        text = textedit.ensure_text(ctx.read_text(path)) or textedit.MANAGED_HEADER + "\n"
        ctx.tx.stage_text(path, text.rstrip("\n") + "\n" + rule + "\n", mode=0o640)
        requires = [path]
    if ctx.host_kind == "container" or finding.found.get("locked"):
        # Locked: the load would be refused; the rule written now is loaded at the next boot.
        return
    ctx.tx.add_action(
        Action(
            key=("augenrules",),
            description="augenrules --load",
            phase=PHASE_LIVE,
            argv=["augenrules", "--load"],
            requires=requires,
        )
    )
    if finding.found.get("loaded") is not None:
        ctx.tx.add_action(
            Action(
                key=("audit rule loaded", rule),
                description=f"judge the load ({audit_kernel.KernelRules.judged_by(rule)})",
                phase=PHASE_LIVE + 1,
                call=_verify_loaded(rule),
            )
        )
