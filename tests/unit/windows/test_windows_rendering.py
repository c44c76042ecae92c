"""Rendering: the golden scripts per type, and that values can never become code.

These compare text only. Whether PowerShell accepts and runs the text is not provable here
(no PowerShell runtime); tests/live runs the same script on a real Windows host.
"""

from __future__ import annotations

import re

import pytest
import windows_golden as golden
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import literal, quote
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.script import render_script
from windows_testdata import engine_args

EXPECTED = golden.expected_files()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rendered_script_matches_its_golden_file(name):
    path = golden.GOLDEN / name
    assert path.exists(), f"missing golden file {name}: run python tests/unit/windows/windows_golden.py --write"
    assert path.read_text(encoding="utf-8") == EXPECTED[name], (
        f"{name} differs from what the renderers produce; if the change is deliberate, "
        "run python tests/unit/windows/windows_golden.py --write and review the diff"
    )


def test_every_type_has_a_golden_file():
    rendered_types = {control["type"] for control, _ in golden.plan() if control["id"] in golden.SAMPLES.values()}
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import TYPES

    assert rendered_types == set(TYPES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "'plain'"),
        ("it's", "'it''s'"),
        ("it\u2019s", "'it\u2019\u2019s'"),
        ("$(Remove-Item C:\\ -Recurse)", "'$(Remove-Item C:\\ -Recurse)'"),
        ('a`b"c', "'a`b\"c'"),
    ],
)
def test_strings_are_single_quoted_literals(text, expected):
    assert quote(text) == expected


def test_literals_of_every_kind():
    assert literal(None) == "$null"
    assert literal(True) == "$true" and literal(False) == "$false"
    assert literal(14) == "14"
    assert literal(["a", 1]) == "@('a', 1)"
    assert literal([]) == "@()"
    assert literal({"k": "v"}) == "@{ 'k' = 'v' }"


def test_a_hostile_title_and_value_stay_inside_comments_and_quotes():
    args = engine_args()  # the real catalog, plus one control crafted to break out
    args["catalog"]["network"].append(
        {
            "id": "LZW-NET-099",
            "title": "evil\nRemove-Item C:\\Windows -Recurse",
            "rationale": "x",
            "level": "basic",
            "level_2025": "basic",
            "cyfun": ["PR.AC-5.1"],
            "cyfun_2025": ["PR.IR-01.1"],
            "cis": ["1.1.1"],
            "applies_to": ["virtual_pc"],
            "risk": "low",
            "type": "registry_value",
            "params": {
                "path": "HKLM:\\SOFTWARE\\X",
                "name": "a'; Stop-Computer; '",
                "value": "x'; Stop-Computer #",
                "kind": "string",
            },
        }
    )
    script = render_script(prepare(args, "h").plan, applying=True)
    assert "\nRemove-Item C:\\Windows" not in script
    assert re.search(r"^# LZW-NET-099: evil Remove-Item", script, re.M)
    assert "-Name 'a''; Stop-Computer; '''" in script
    assert "'x''; Stop-Computer #'" in script


def test_management_path_comes_first_and_every_control_once():
    plan = prepare(engine_args(level="essential"), "h").plan
    script = render_script(plan, applying=True)
    ids = re.findall(r"^Invoke-LzwControl -Id '(LZW-[A-Z]+-\d{3})'", script, re.M)
    assert ids[:3] == ["LZW-MGT-001", "LZW-MGT-002", "LZW-MGT-003"]
    assert len(ids) == len(set(ids)) == len(plan)


def test_the_script_declares_should_process_so_win_powershell_runs_it_in_check_mode():
    for applying in (True, False):
        script = render_script(prepare(engine_args(), "h").plan, applying=applying)
        assert script.splitlines()[2:4] == ["[CmdletBinding(SupportsShouldProcess)]", "param()"]
