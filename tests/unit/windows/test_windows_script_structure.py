"""What can be checked of the PowerShell without PowerShell (none exists here): every bracket and
quote of every rendered script is balanced, every Lzw function a script calls is defined in that
script, and every named parameter it passes is one the function declares. This catches the
renderer and the helpers drifting apart (a renamed parameter, a helper missing from the audit
script) before a Windows host would; whether PowerShell agrees is proven by tests/live only."""

from __future__ import annotations

import re

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.script import SCRIPTS, render_script
from windows_testdata import engine_args

PAIRS = {")": "(", "}": "{", "]": "["}
FUNCTION = re.compile(r"^function ([A-Za-z]+-Lzw[A-Za-z]+) \{\n(?:\s*#[^\n]*\n)*(?:\s*param\(([^)]*)\))?", re.M)
CALL = re.compile(r"(?<![\w-])([A-Z][a-z]+-Lzw[A-Za-z]+)\b([^\n|;]*)")
PARAMETER = re.compile(r"(?<![\w$])-([A-Z][A-Za-z]*)\b")


def _skip_subexpression(text, i):
    """From just after '$(' inside a double-quoted string, to just after its closing ')'."""
    depth = 1
    while depth:
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
    return i


def balance_problems(text):
    """Unbalanced brackets or unterminated strings, with line numbers; comments and strings skipped."""
    stack, problems, i, line = [], [], 0, 1
    while i < len(text):
        char = text[i]
        if char == "\n":
            line += 1
        elif char == "#":
            i = text.find("\n", i) - 1 if "\n" in text[i:] else len(text)
        elif char == "'":
            start, i = line, i + 1
            while i < len(text) and not (text[i] == "'" and text[i + 1 : i + 2] != "'"):
                i += 2 if text[i] == "'" else 1
            if i >= len(text):
                problems.append(f"line {start}: unterminated single-quoted string")
        elif char == '"':
            start, i = line, i + 1
            while i < len(text) and text[i] != '"':
                if text[i] == "`":
                    i += 1
                elif text.startswith("$(", i):
                    i = _skip_subexpression(text, i + 2) - 1
                elif text[i] == "\n":
                    line += 1
                i += 1
            if i >= len(text):
                problems.append(f"line {start}: unterminated double-quoted string")
        elif char in "({[":
            stack.append((char, line))
        elif char in ")}]":
            if not stack or stack[-1][0] != PAIRS[char]:
                problems.append(f"line {line}: unexpected {char!r}")
            else:
                stack.pop()
        i += 1
    problems += [f"line {opened}: {bracket!r} never closed" for bracket, opened in stack]
    return problems


def declared_functions(script):
    return {name: set(re.findall(r"\$(\w+)", params or "")) for name, params in FUNCTION.findall(script)}


def _without_strings(line):
    return re.sub(r"'(?:[^']|'')*'", "''", line)


def call_problems(script):
    functions = declared_functions(script)
    problems = []
    for number, line in enumerate(script.splitlines(), 1):
        if line.lstrip().startswith(("#", "function ")):
            continue
        for name, rest in CALL.findall(_without_strings(line)):
            if name not in functions:
                problems.append(f"line {number}: {name} is called but not defined in this script")
                continue
            for parameter in PARAMETER.findall(rest):
                if parameter not in functions[name]:
                    problems.append(f"line {number}: {name} has no parameter -{parameter}")
    return problems


def scripts():
    for level in ("basic", "essential"):
        for applying in (True, False):
            plan = prepare(engine_args(level=level, rdp_networks=["10.40.0.0/22"]), "h", applying=applying).plan
            yield f"{level}-{'apply' if applying else 'audit'}", render_script(plan, applying)


SCRIPTS_RENDERED = dict(scripts())


@pytest.mark.parametrize("name", sorted(SCRIPTS_RENDERED))
def test_brackets_and_quotes_are_balanced(name):
    assert balance_problems(SCRIPTS_RENDERED[name]) == []


@pytest.mark.parametrize("name", sorted(SCRIPTS_RENDERED))
def test_every_helper_called_is_defined_with_the_parameters_passed(name):
    assert call_problems(SCRIPTS_RENDERED[name]) == []


def test_the_helpers_files_declare_their_functions_once():
    for path in SCRIPTS.glob("*.ps1"):
        names = re.findall(r"^function (\S+)", path.read_text(encoding="utf-8"), re.M)
        assert len(names) == len(set(names)), path.name


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Invoke-LzwControl -Id 'x' -Check {\n    Test-LzwFeatureControl -Name 'y'\n", "'{' never closed"),
        ("$a = 'it''s\n", "unterminated single-quoted string"),
        ("$a = @(1, 2))", "unexpected ')'"),
        ('$b = "open $($c.d)', "unterminated double-quoted string"),
    ],
)
def test_the_balance_check_finds_what_it_is_for(text, problem):
    assert any(problem in found for found in balance_problems(text))


def test_the_call_check_finds_a_wrong_parameter_and_a_missing_helper():
    script = "function Test-LzwThing {\n    param([string]$Name)\n}\nTest-LzwThing -Nme 'x'\nTest-LzwOther -Name 'y'\n"
    problems = call_problems(script)
    assert any("has no parameter -Nme" in p for p in problems)
    assert any("Test-LzwOther is called but not defined" in p for p in problems)


@pytest.mark.parametrize("name", sorted(SCRIPTS_RENDERED))
def test_the_language_mode_is_checked_before_anything_else_runs(name):
    """The first statement after param() stops the script in any mode but FullLanguage."""
    script = SCRIPTS_RENDERED[name]
    body = script.split("param()\n", 1)[1]
    statements = [line for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert statements[0] == "if ($ExecutionContext.SessionState.LanguageMode -ne 'FullLanguage') {"
    assert statements[2] == "    return"
