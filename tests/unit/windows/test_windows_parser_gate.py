"""The parser gate: every script the engine can render, for servers and virtual PCs, at every
level, for apply and audit (check mode renders the audit script), and with each identity and
the session-host switch, is parsed by a real PowerShell grammar (powershell_grammar.py):
0 ERROR and 0 MISSING nodes, and none of the constructs newer than Windows PowerShell 5.1.

This proves syntax only. What PowerShell then does with the script is proven by tests/live,
on a real Windows host, where one is configured.
"""

from __future__ import annotations

import itertools

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.script import SCRIPTS, render_script
from powershell_grammar import gate_problems, newer_than_51, syntax_problems
from windows_golden import GOLDEN
from windows_testdata import engine_args, rendered_catalog

HOST_KINDS = ("server", "virtual_pc")
LEVELS = ("basic", "important", "essential")
# The role's switches that change which controls (and so which PowerShell) a script holds: the
# catalog's context, and the engine's own arguments.
VARIANTS = {
    "entra": ({}, {}),
    "ad-domain-account": (
        {"windows_baseline_identity": "ad", "windows_baseline_management_account": "GEMEENTE\\svc-landingzone"},
        {"identity": "ad", "management_account": "GEMEENTE\\svc-landingzone"},
    ),
    "hybrid-session-host-class-4": (
        {"windows_baseline_identity": "hybrid", "windows_baseline_session_host": True, "data_classification": 4},
        {"identity": "hybrid"},
    ),
}


def rendered_scripts():
    catalogs = {variant: rendered_catalog(**context) for variant, (context, _) in VARIANTS.items()}
    for variant, host_kind, level, applying in itertools.product(catalogs, HOST_KINDS, LEVELS, (True, False)):
        args = engine_args(catalog=catalogs[variant], level=level, host_kind=host_kind, **VARIANTS[variant][1])
        args["rdp_networks"] = ["10.40.0.0/22"]
        plan = prepare(args, "gem-vpc-01", applying=applying).plan
        name = f"{variant}-{host_kind}-{level}-{'apply' if applying else 'audit'}"
        yield name, render_script(plan, applying)


SCRIPTS_RENDERED = dict(rendered_scripts())


@pytest.mark.parametrize("name", sorted(SCRIPTS_RENDERED))
def test_every_rendered_script_passes_the_gate(name):
    assert gate_problems(SCRIPTS_RENDERED[name]) == []


@pytest.mark.parametrize("path", sorted(SCRIPTS.glob("*.ps1")) + sorted(GOLDEN.glob("*.ps1")), ids=lambda p: p.name)
def test_every_helper_file_and_golden_script_passes_the_gate(path):
    assert gate_problems(path.read_text(encoding="utf-8")) == []


def test_the_gate_saw_every_variant():
    assert len(SCRIPTS_RENDERED) == len(VARIANTS) * len(HOST_KINDS) * len(LEVELS) * 2
    assert "Test-LzwLocalGroupControl" in SCRIPTS_RENDERED["hybrid-session-host-class-4-virtual_pc-basic-audit"]
    assert "'S-1-5-113'" in SCRIPTS_RENDERED["ad-domain-account-server-essential-apply"]
    assert all(script.count("Invoke-LzwControl -Id") > 50 for script in SCRIPTS_RENDERED.values())


@pytest.mark.parametrize(
    ("script", "problem"),
    [
        ("$a = $b ?? 'fallback'", "the ?? / ??= operators"),
        ("$a ??= 1", "the ?? / ??= operators"),
        ("$name = $service?.Name", "the ?. / ?[] operators"),
        ("$first = $list?[0]", "the ?. / ?[] operators"),
        ("$kind = $compliant ? 'pass' : 'fail'", "the ternary ? : operator"),
        ("secedit /export /cfg x.inf && Write-Output done", "&& / || between pipelines"),
        ("Test-Path x || Write-Output missing", "&& / || between pipelines"),
        ("1..3 | ForEach-Object -Parallel { $_ }", "ForEach-Object -Parallel"),
        ("1..3 | % -Par { $_ }", "ForEach-Object -Parallel"),
        ("$h = Get-Content x.json -Raw | ConvertFrom-Json -AsHashtable", "ConvertFrom-Json -AsHashtable"),
        ("Set-Content -LiteralPath x -Value 1 -Encoding utf8NoBOM", "-Encoding utf8nobom"),
        ("Set-Content -LiteralPath x -Value 1 -Encoding:'utf8BOM'", "-Encoding utf8bom"),
        ("Out-File -FilePath x -Encoding 65001", "-Encoding 65001"),
        ("$p = Join-Path $env:TEMP 'lzw' 'x.inf'", "Join-Path with more than one child path"),
        ("$p = Join-Path -Path $env:TEMP -ChildPath 'lzw' 'x.inf'", "Join-Path with more than one child path"),
        ("$p = Join-Path $env:TEMP 'lzw' -AdditionalChildPath 'x.inf'", "Join-Path -AdditionalChildPath"),
    ],
)
def test_the_gate_names_each_construct_newer_than_5_1(script, problem):
    assert any(problem in found for found in gate_problems(script)), gate_problems(script)


@pytest.mark.parametrize(
    "script",
    [
        "$p = Join-Path $env:TEMP 'x.inf'",
        "$p = Join-Path -Path $env:TEMP -ChildPath 'x.inf'",
        "Set-Content -LiteralPath x -Value 1 -Encoding Unicode",
        "Get-Service | ? { $_.Status -eq 'Running' } | % { $_.Name }",
        "$value = if ($found) { 1 } else { 0 }",
        "$rows = Get-Content x | ConvertFrom-Csv -Header 'machine', 'target'",
    ],
)
def test_the_gate_lets_5_1_constructs_through(script):
    assert gate_problems(script) == []


@pytest.mark.parametrize(
    ("breakage", "problem"),
    [
        (lambda s: s.replace("} -Fix {", "} -Fix ", 1), "ERROR"),
        (lambda s: s[: s.rindex("}")], "ERROR"),
        (lambda s: s.replace("-Expected @(1, 2) -Compare", "-Expected @(1, 2 -Compare", 1), "ERROR"),
        (lambda s: s.replace("= 'Stop'", "= 'Stop", 1), "ERROR"),
        (lambda s: s.replace("\n}\n\nfunction ", "\n\nfunction ", 1), "MISSING"),
    ],
)
def test_the_gate_fails_a_broken_rendered_script(breakage, problem):
    script = SCRIPTS_RENDERED["entra-virtual_pc-essential-apply"]
    broken = breakage(script)
    assert broken != script
    assert any(problem in found for found in syntax_problems(broken)), syntax_problems(broken)[:3]


def test_bare_words_in_a_comma_list_are_the_grammar_s_known_gap():
    """Valid PowerShell the grammar cannot read: the reason the scripts quote such words."""
    assert syntax_problems("$rows = Get-Content x | ConvertFrom-Csv -Header machine, target")
    assert not newer_than_51("$rows = Get-Content x | ConvertFrom-Csv -Header 'machine', 'target'")
