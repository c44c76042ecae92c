"""audit_rule: one auditctl line in /etc/audit/rules.d/<file>, loaded with augenrules.

The file is not the whole story: the kernel applies the rules it has loaded. Where auditctl
can be asked, a control passes only if its rule is in the file AND the kernel lists it
(`auditctl -l`; a control rule such as `-e 2` by its value in `auditctl -s`), both sides
compared in one form (audit_kernel.signature). A rule in the file but not loaded is loaded
again (augenrules --load), and the load is judged after it ran.

Once the kernel's rules are locked (`-e 2`), no rule can be loaded or removed until the next
boot: a rule missing from the kernel then fails, says so and asks for the reboot; a rule the
fix writes is loaded at that boot.

Loaded is not enough: a rule that is not ours can stop ours from recording (a `never` rule
before ours in the exit list, a `never` task rule, an exclude rule; audit_kernel.silencers
says how overlap is decided). One that silences ours entirely fails the control, naming the
rule as the kernel lists it and its line in `auditctl -l`; one narrowed to some events (auid,
uid, exe ...) is named in the warnings and the control passes. The load (`augenrules --load`
flushes the kernel's rules and loads the files) removes a silencing rule added at run time; one
that a rules file under /etc/audit/rules.d holds comes back with every load: the control then
fails naming that file, and the fix is left to a person (an administrator's rules file is
never edited or deleted here). Where auditctl cannot be asked (a container has no
CAP_AUDIT_CONTROL and no auditd; a host without auditd), only the file is read, and the
finding says so and why.
"""

from __future__ import annotations

import os
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import audit_kernel, textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_LIVE, Action

PARAMS = {
    "rule": param("str", required=True),
    "file": param("str", default="60-landingzone.rules"),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`rule` (one auditctl line), `file` (default `60-landingzone.rules`)"
DOC_MANAGES = (
    "`/etc/audit/rules.d/`, loaded with `augenrules --load`, the load judged after it ran; passes only "
    "when the kernel has the rule loaded (`auditctl -l`, compared in one form: `-k` = `-F key=`, `unset` "
    "= `-1`, syscall order, `-C` sides; a control rule such as `-e 2` by `auditctl -s`); fails when a "
    "rule that is not ours silences it (a `never` rule before it in the exit list, a `never` task rule, "
    "an exclude rule dropping SYSCALL records), naming that rule, its line in `auditctl -l` and the rules"
    " file that holds it; once the rules are locked (`-e 2`) a rule missing from the kernel fails with "
    "`reboot_required`; in a container, or where auditctl cannot be asked, the file alone (`judged_by` "
    "says which, and why)"
)


def validate(control_id, params):
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+\.rules", params["file"]):
        fail(control_id, "params.file", f"must be a file name ending in .rules, got {params['file']!r}")
    if "\n" in params["rule"] or not params["rule"].lstrip().startswith("-"):
        fail(control_id, "params.rule", "must be one auditctl line starting with '-'")


RULES_DIR = "/etc/audit/rules.d"
FILE_ONLY = "the rules file only"
IN_A_CONTAINER = f"{FILE_ONLY} (a container cannot list the kernel's audit rules: no audit subsystem)"
LOCKED = "the kernel's audit rules are locked (-e 2): the rules files differ from the loaded rules until the next boot"
LOAD_BRINGS_IT_BACK = "a person must remove or change that rule (every load of the rules files loads it again)"


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
    silenced, narrowed = _silencers(kernel, rule, ctx)
    if loaded and not audit_kernel.is_control_rule(rule):
        found.update(silenced_by=silenced, narrowed_by=narrowed)
        expected["silenced_by"] = []
    from_files = [entry for entry in silenced if entry["file"]]
    problems += [_silenced_reason(entry) for entry in silenced]
    if kernel.locked and (not loaded or silenced):
        problems.append(LOCKED)
    return Finding(
        compliant=not problems,
        found=found,
        expected=expected,
        reason="; ".join(problems),
        fixable=not from_files,
        reboot_required=kernel.locked and (not loaded or bool(silenced)) and not from_files,
        warnings=[_narrowed_warning(entry) for entry in narrowed],
    )


def _rules_files(ctx):
    """The rules files augenrules loads, in its order: (host path, text)."""
    try:
        names = sorted(name for name in os.listdir(ctx.path(RULES_DIR)) if name.endswith(".rules"))
    except OSError:
        return []
    return [(f"{RULES_DIR}/{name}", ctx.read_text(f"{RULES_DIR}/{name}") or "") for name in names]


def _file_holding(listed, files):
    """The rules file that writes the kernel's rule `listed`, or None."""
    wanted = audit_kernel.signature(listed.line)
    for path, text in files:
        for line in text.splitlines():
            line = line.strip()
            if line.startswith(("-a", "-A", "-w")) and audit_kernel.signature(line) == wanted:
                return path
    return None


def _silencers(kernel, rule, ctx):
    """([silencing], [narrowed]) as dicts for the finding: the rule as listed, its line, its file."""
    verdicts = kernel.silencers(rule)
    files = _rules_files(ctx) if any(verdict[0] == audit_kernel.SILENCES for verdict in verdicts) else []
    silenced, narrowed = [], []
    for verdict, listed, why in verdicts:
        entry = {"rule": listed.line, "line": listed.number, "why": why}
        if verdict == audit_kernel.SILENCES:
            silenced.append(dict(entry, file=_file_holding(listed, files)))
        else:
            narrowed.append(entry)
    return silenced, narrowed


def _silenced_reason(entry):
    reason = f"silenced by `{entry['rule']}` (line {entry['line']} of auditctl -l: {entry['why']})"
    if entry["file"]:
        reason += f"; it comes from {entry['file']}: {LOAD_BRINGS_IT_BACK}"
    return reason


def _narrowed_warning(entry):
    return (
        f"`{entry['rule']}` (line {entry['line']} of auditctl -l) stops this rule for the events it matches:"
        f" {entry['why']}"
    )


def _verify_loaded(rule):
    """After augenrules --load: the kernel must now show the rule (a load can skip a line), and
    nothing loaded with it may silence it."""

    def verify(ctx):
        try:
            kernel = audit_kernel.kernel_rules(ctx, after_load=True)
        except audit_kernel.AuditUnavailable as error:
            return CommandResult(1, "", str(error))
        if not kernel.loaded(rule):
            return CommandResult(1, "", f"augenrules --load ran, but {kernel.judged_by(rule)} does not show the rule")
        silenced = _silencers(kernel, rule, ctx)[0]
        if silenced:
            where = [
                _silenced_reason(entry) + ("" if entry["file"] else f" (no file under {RULES_DIR} writes it)")
                for entry in silenced
            ]
            return CommandResult(1, "", "augenrules --load ran, but the rule is " + "; ".join(where))
        return CommandResult(0, "", "")

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
