"""Hostile input to the CLI: an alias bomb, wrong types and secrets too short to redact each end
in exit 2 and one message naming the file and the field, never a traceback and never a hang."""

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from lab_north import PASSWORD_FILE, lab_north_fleet, validate

from landingzone.fleet_inputs import load_municipalities
from landingzone.runner.vault import encrypt

PASSWORD = PASSWORD_FILE.read_text().strip()
ROOT = Path(__file__).resolve().parents[3]


def alias_bomb(key: str) -> str:
    """Nine lists of nine aliases, nine deep: 9**9 values from 600 bytes."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]" for i in range(1, 9)]
    return "\n".join(lines) + f"\n{key}: *lol8\n"


fleet = pytest.fixture(lab_north_fleet, name="fleet")


def vault_value(plaintext: str, indent: int) -> str:
    return "!vault |\n" + textwrap.indent(encrypt(PASSWORD, plaintext), " " * indent)


@pytest.mark.parametrize("where", ["municipality.yml", "group_vars/all/bomb.yml"])
def test_an_alias_bomb_is_refused_within_a_second_naming_the_file(fleet, where):
    path = fleet / "lab-north" / where
    if where == "municipality.yml":
        path.write_text(path.read_text() + alias_bomb("display_name").replace("lol", "x"))
    else:
        path.write_text(alias_bomb("lab_filler"))
    started = time.monotonic()
    with pytest.raises(Exception) as caught:
        load_municipalities(ROOT, fleet, ["lab-north"], None, PASSWORD)
    # Unbounded, this walk takes hours; how fast the refusal is, benchmarks/validate.py measures.
    assert time.monotonic() - started < 10
    assert getattr(caught.value, "exit_code", None) == 2
    assert str(path) in str(caught.value) and "alias bomb" in str(caught.value)


def test_the_cli_exits_2_on_an_alias_bomb_without_a_traceback(fleet):
    card = fleet / "lab-north" / "municipality.yml"
    card.write_text(card.read_text() + alias_bomb("display_name").replace("lol", "x"))
    started = time.monotonic()
    result = subprocess.run(
        [str(Path(sys.executable).with_name("landingzone")), "--fleet", str(fleet), "validate", "lab-north"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 2, result.stderr
    assert f"{card}: " in result.stderr and "alias bomb" in result.stderr
    assert "Traceback" not in result.stderr
    # A hang guard only: the whole command, interpreter start included (benchmarks/validate.py times it).
    assert elapsed < 30, elapsed


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("services", "5"),
        ("services", "true"),
        ("suppliers", "{a: 1}"),
        ("waivers", "text"),
        ("identity", "[ad]"),
        ("workplace", "[desks]"),
        ("workplace", "5"),
    ],
)
def test_a_type_mismatch_names_the_field(fleet, capsys, field, value):
    card = fleet / "lab-north" / "municipality.yml"
    data = yaml.safe_load(card.read_text())
    data[field] = yaml.safe_load(value)
    card.write_text(yaml.safe_dump(data))
    code, error = validate(fleet, capsys)
    assert code == 2
    assert f"{card}: {field}: " in error


def test_a_short_vault_value_in_the_card_is_refused(fleet, capsys):
    card = fleet / "lab-north" / "municipality.yml"
    text = card.read_text().replace("display_name:", "display_name: " + vault_value("Short 11 ch", 2) + "\nx_was:")
    card.write_text(text.replace("\nx_was:", "\n# was:"))
    code, error = validate(fleet, capsys)
    assert code == 2
    assert f"{card}: display_name: a secret of 11 characters is refused: it needs at least 12" in error
    assert "Short 11 ch" not in error


def test_a_short_vault_value_in_group_vars_is_refused(fleet, capsys):
    vars_file = fleet / "lab-north" / "group_vars" / "all" / "short.yml"
    vars_file.write_text(f"---\nlab_api_token: {vault_value('abc123', 2)}\n")
    code, error = validate(fleet, capsys)
    assert code == 2
    assert f"{vars_file}: lab_api_token: a secret of 6 characters is refused" in error
    assert "abc123" not in error


def test_a_vault_value_of_twelve_characters_is_enough(fleet, capsys):
    vars_file = fleet / "lab-north" / "group_vars" / "all" / "token.yml"
    vars_file.write_text(f"---\nlab_api_token: {vault_value('twelve chars', 2)}\n")
    code, error = validate(fleet, capsys)
    assert (code, error) == (0, "")
