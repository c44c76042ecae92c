"""The one PowerShell script a run sends to the host: the language mode guard, helpers, then one
Invoke-LzwControl per control (management path first), each printing one result line.

An apply script has a Fix block for every control it may fix. The audit script (mode audit,
and check mode) is rendered without the apply helpers, with the runner that takes no fix, and
without a single Fix block: what it cannot contain, it cannot run.
"""

from __future__ import annotations

from pathlib import Path

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import indent, quote
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import TYPES

SCRIPTS = Path(__file__).resolve().parent / "scripts"
ENGINE = "cyberveilig.landingzone.windows_controls"


def _part(name):
    return (SCRIPTS / name).read_text(encoding="utf-8").strip("\n")


def render_control(control, fixing):
    """One Invoke-LzwControl call; with fixing, its Fix block too (when the type has one)."""
    handler = TYPES[control["type"]]
    lines = [f"# {control['id']}: {' '.join(control['title'].split())}".replace("\r", " ")]
    mdm = f" -Mdm {quote(control['mdm'])}" if control.get("mdm") else ""
    lines.append(f"Invoke-LzwControl -Id {quote(control['id'])}{mdm} -Check {{")
    lines.append(indent(handler.check(control["params"])))
    fix = handler.fix(control["params"]) if fixing and not handler.AUDIT_ONLY else None
    if fix:
        lines.append("} -Fix {")
        lines.append(indent(fix))
    lines.append("}")
    return "\n".join(lines)


def render_script(plan, applying):
    """plan: [(control, fixing)], management controls first. applying: an apply run (not audit/check)."""
    mode = "apply" if applying else "audit"
    header = [
        f"# Rendered by {ENGINE} ({mode}, {len(plan)} controls). Re-render rather than edit.",
        "# Every control prints one line 'LZW-RESULT <json>'; the controller parses those lines.",
        # win_powershell runs a script in check mode only when it declares SupportsShouldProcess.
        "[CmdletBinding(SupportsShouldProcess)]",
        "param()",
    ]
    parts = ["\n".join(header), _part("language_mode.ps1"), _part("common.ps1")]
    if applying:
        parts.append(_part("apply_helpers.ps1"))
        parts.append(_part("apply_runner.ps1"))
    else:
        parts.append(_part("audit_runner.ps1"))
    for control, fixing in plan:
        parts.append(render_control(control, fixing and applying))
    parts.append(
        f"$Ansible.Result = @{{ engine = {quote(ENGINE)}; mode = {quote(mode)}; controls = {len(plan)}; "
        "computer = $env:COMPUTERNAME }\n$Ansible.Changed = $script:LzwChanged"
    )
    return "\n\n".join(parts) + "\n"
