"""`landingzone new-supplier-role`: a role that keeps the contract and whose generated files are current."""

import subprocess
import sys
from pathlib import Path

import pytest

from landingzone.cli import main
from landingzone.errors import LandingzoneError
from landingzone.supplier_role import load
from landingzone.supplier_role.scaffold import new_supplier_role

ROOT = Path(__file__).resolve().parents[3]


def test_the_scaffold_keeps_the_contract_and_its_docs_are_generated(tmp_path, capsys):
    assert main(["new-supplier-role", "town_hall_booking", "--path", str(tmp_path)]) == 0
    role = tmp_path / "town_hall_booking"
    assert f"created {role}" in capsys.readouterr().out
    contract = load(role)
    assert contract.role == "town_hall_booking"
    assert contract.data["ports"][0]["sources"] == ["management"]
    for relative in ("meta/argument_specs.yml", "tasks/main.yml", "molecule/default/molecule.yml", "README.md"):
        text = (role / relative).read_text()
        assert "__ROLE__" not in text and "__UNIT__" not in text and "__COLLECTIONS_PATH__" not in text
    assert "town-hall-booking-debian12" in (role / "molecule/default/molecule.yml").read_text()
    check = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "role_docs.py"), "--check", str(role)],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "town_hall_booking_greeting: Hello from town_hall_booking" in (role / "defaults/main.yml").read_text()


@pytest.mark.parametrize("name", ["Town", "1app", "a", "linux_baseline", "with-dash"])
def test_a_bad_name_is_refused_before_anything_is_written(tmp_path, name):
    with pytest.raises(LandingzoneError, match="new-supplier-role: NAME"):
        new_supplier_role(name, tmp_path, ROOT)
    assert not list(tmp_path.iterdir())


def test_an_existing_role_is_never_overwritten(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(LandingzoneError, match="exists already"):
        new_supplier_role("taken", tmp_path, ROOT)
