"""User rights on Dutch Windows: secedit exports some holders by name ('Gast', not 'Guest'), so
the script compares rights by SID and writes back only what secedit reads ('*' + SID, or a bare
name). The exports are the Dutch fixtures in tests/fixtures/windows/secedit/.

No PowerShell runs here. What is executed is the script's own text: the regular expressions of
Read-LzwSecurityPolicy and ConvertTo-LzwSeceditAccount, taken from common.ps1 and run by Python
on the fixtures (these patterns mean the same to .NET and Python). That a Dutch host translates
'Gast' to its SID is PowerShell's part, proven only by tests/live.
"""

from __future__ import annotations

import re

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.script import SCRIPTS, render_script
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import security_policy
from windows_testdata import FIXTURES, engine_args

EXPORTS = FIXTURES / "secedit"
COMMON = (SCRIPTS / "common.ps1").read_text(encoding="utf-8")
SID = re.compile(r"^S-1-\d+(-\d+)+$")


def _function(name):
    return COMMON.split(f"function {name} {{", 1)[1].split("\n}\n", 1)[0]


def _matches(body):
    """The string literals a function matches lines against, as written in the script."""
    return [literal.replace("''", "'") for literal in re.findall(r"-match '((?:[^']|'')*)'", body)]


def read_export(path):
    """Read-LzwSecurityPolicy's loop, with its two patterns, over a file read as Get-Content -Encoding Unicode does."""
    section_pattern, entry_pattern = _matches(_function("Read-LzwSecurityPolicy"))
    policy, section = {}, ""
    for line in path.read_text(encoding="utf-16").splitlines():
        if match := re.match(section_pattern, line):
            section = match.group(1)
            continue
        if match := re.match(entry_pattern, line):
            policy[f"{section}|{match.group(1)}"] = match.group(2).strip()
    return policy


def secedit_account(holder):
    """ConvertTo-LzwSeceditAccount, with its pattern."""
    (pattern,) = _matches(_function("ConvertTo-LzwSeceditAccount"))
    return "*" + holder if re.match(pattern, holder) else holder


def holders(value):
    """ConvertTo-LzwSidList for a host where no name resolves: '*' stripped, names kept."""
    return sorted({entry.strip()[1:] if entry.strip().startswith("*") else entry.strip() for entry in value.split(",")})


@pytest.mark.parametrize("export", sorted(EXPORTS.glob("*.inf")), ids=lambda p: p.name)
def test_the_reader_finds_every_user_right_of_a_dutch_export(export):
    policy = read_export(export)
    rights = {key.split("|", 1)[1] for key in policy if key.startswith("Privilege Rights|")}
    assert {"SeDenyNetworkLogonRight", "SeDenyInteractiveLogonRight", "SeRemoteInteractiveLogonRight"} <= rights
    assert policy["System Access|NewGuestName"] == '"Gast"'
    assert policy["System Access|MinimumPasswordLength"] == "0"


def test_a_stock_dutch_export_names_the_guest_gast_where_the_catalog_expects_its_sid():
    policy = read_export(EXPORTS / "nl-stock-virtual-pc.inf")
    assert policy["Privilege Rights|SeDenyNetworkLogonRight"] == "Gast"
    assert policy["Privilege Rights|SeDenyInteractiveLogonRight"] == "Gast"


@pytest.mark.parametrize("export", sorted(EXPORTS.glob("*.inf")), ids=lambda p: p.name)
def test_what_is_written_back_is_a_sid_with_a_star_or_a_bare_name(export):
    """Every holder of every right, through the write-back conversion, and the Guests SID added."""
    for key, value in read_export(export).items():
        if not key.startswith("Privilege Rights|"):
            continue
        written = [secedit_account(holder) for holder in holders(value) + ["S-1-5-32-546"]]
        for entry in written:
            assert SID.match(entry[1:]) if entry.startswith("*") else not SID.match(entry), (key, entry)


def test_a_name_is_never_starred_and_a_sid_always_is():
    assert secedit_account("Gast") == "Gast"
    assert secedit_account("oud-beheer") == "oud-beheer"
    assert secedit_account("S-1-5-32-546") == "*S-1-5-32-546"
    assert (
        secedit_account("S-1-5-21-1004336348-1177238915-682003330-501")
        == "*S-1-5-21-1004336348-1177238915-682003330-501"
    )


def test_the_star_name_left_by_earlier_runs_is_read_as_a_name_not_a_sid():
    """'*Gast' loses its star in the list, so the translation and the write-back see the name."""
    value = read_export(EXPORTS / "nl-after-star-name-fix.inf")["Privilege Rights|SeDenyNetworkLogonRight"]
    assert holders(value) == ["Gast", "S-1-5-32-546"]
    assert [secedit_account(holder) for holder in holders(value)] == ["Gast", "*S-1-5-32-546"]


@pytest.mark.parametrize("control_id", ["LZW-URA-012", "LZW-URA-015"])
def test_the_includes_fixes_go_through_the_helper_that_keeps_names_bare(control_id):
    plan = prepare(engine_args(level="basic"), "gem-vpc-01", applying=True).plan
    control = next(control for control, _ in plan if control["id"] == control_id)
    fix = security_policy.fix(control["params"])
    assert fix == f"Add-LzwUserRight -Key '{control['params']['key']}' -Sids @('S-1-5-32-546')"


def test_no_rendered_script_stars_a_holder_anywhere_but_in_the_conversion():
    script = render_script(prepare(engine_args(level="essential"), "gem-vpc-01", applying=True).plan, True)
    code = [line.strip() for line in script.splitlines() if not line.strip().startswith("#")]
    starring = [line for line in code if re.search(r"'\*' \+", line)]
    assert starring == ["if ($Account -match '^S-1-\\d+(-\\d+)+$') { return '*' + $Account }"]
    assert "Add-LzwUserRight -Key" in script and "ConvertTo-LzwSeceditAccount $_" in script


def test_exact_user_rights_are_written_as_sids_only():
    plan = prepare(engine_args(level="basic"), "gem-vpc-01", applying=True).plan
    for control, _ in plan:
        params = control["params"]
        if control["type"] == "security_policy" and params["compare"] == "sids":
            written = security_policy.fix(params).split("-Value ", 1)[1].strip("'")
            assert all(SID.match(entry[1:]) for entry in written.split(",") if entry), control["id"]
