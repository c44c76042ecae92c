"""The fixture fleet `lab-north` copied for a test, and `landingzone validate` run on it: what the
tests of hostile input and of inventory values share."""

import shutil
from pathlib import Path

from landingzone import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fleet"
PASSWORD_FILE = FIXTURES / "vault-password"


def lab_north_fleet(tmp_path, monkeypatch):
    """A fleet directory holding a copy of lab-north, with no vault password in the environment."""
    shutil.copytree(FIXTURES / "lab-north", tmp_path / "lab-north")
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD", raising=False)
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD_FILE", raising=False)
    return tmp_path


def validate(fleet, capsys) -> tuple[int, str]:
    """`landingzone validate lab-north`: its exit code and error output, which never holds a traceback."""
    code = cli.main(["--fleet", str(fleet), "validate", "lab-north", "--vault-password-file", str(PASSWORD_FILE)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.err
