"""Check mode and audit mode send a script with no fix code in it: not merely fixes that are
skipped at run time, but no fix block, no apply helper and no command that changes the host."""

from __future__ import annotations

import re

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.script import SCRIPTS, render_script
from windows_testdata import engine_args

# Every way the rendered scripts change a host: the apply helpers and the cmdlets the fix blocks call.
APPLY_HELPERS = re.findall(r"^function ([A-Za-z-]+)", (SCRIPTS / "apply_helpers.ps1").read_text(), re.M)
CHANGING = re.compile(
    r"\b(Set-ItemProperty|New-ItemProperty|New-Item|Remove-Item|Set-Service|Stop-Service|Start-Service|"
    r"Disable-WindowsOptionalFeature|Set-NetFirewallProfile|Set-NetFirewallRule|New-NetFirewallRule|"
    r"Disable-NetFirewallRule|Set-MpPreference|Add-MpPreference|New-WSManInstance|Set-WSManInstance|"
    r"Remove-WSManInstance|Set-Content)\b|\.SetValue\(|CreateSubKey|'/configure'|'/set'|secedit(\.exe)? /configure|"
    r"auditpol(\.exe)? /set|-Fix \{"
)


@pytest.mark.parametrize("level", ["basic", "important", "essential"])
def test_the_audit_script_contains_no_fix_code(level):
    plan = prepare(engine_args(level=level, mode="audit"), "h", applying=False).plan
    script = render_script(plan, applying=False)
    assert not CHANGING.search(script), CHANGING.search(script).group(0)
    for helper in APPLY_HELPERS:
        assert helper not in script


def test_the_apply_script_does_contain_them_so_the_patterns_are_real():
    plan = prepare(engine_args(level="essential"), "h", applying=True).plan
    script = render_script(plan, applying=True)
    found = {match.group(0) for match in CHANGING.finditer(script)}
    assert {"-Fix {", "Set-Service", "Add-MpPreference", "Set-NetFirewallProfile", "Remove-WSManInstance"} <= found
    assert {".SetValue(", "CreateSubKey", "'/configure'", "Set-Content"} <= found
    assert all(helper in script for helper in APPLY_HELPERS)
    assert len(APPLY_HELPERS) >= 8


def test_apply_mode_in_check_mode_is_planned_as_an_audit():
    plan = prepare(engine_args(mode="apply"), "h", applying=False).plan
    assert not any(fixing for _, fixing in plan)


def test_audit_only_types_get_no_fix_block_even_in_apply():
    plan = prepare(engine_args(level="essential"), "h", applying=True).plan
    bitlocker = [fixing for control, fixing in plan if control["type"] == "bitlocker_status"]
    assert bitlocker == [False]
