"""Every input error ends the command with exit code 2 and a message naming the file and
field, before any ansible-runner job starts."""

import shutil
from pathlib import Path

import pytest

from landingzone import cli
from landingzone.runner import job

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fleet"
PASSWORD_FILE = FIXTURES / "vault-password"


@pytest.fixture
def fleet(tmp_path, monkeypatch):
    for name in ("lab-north", "lab-east"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    started = []
    monkeypatch.setattr(job, "Runner", lambda *a, **k: started.append(k) or pytest.fail("a runner job started"))
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD", raising=False)
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD_FILE", raising=False)
    return tmp_path


def _audit(fleet, capsys, *args, password=True):
    argv = ["--fleet", str(fleet), "audit", *args]
    if password:
        argv += ["--vault-password-file", str(PASSWORD_FILE)]
    code = cli.main(argv)
    error = capsys.readouterr().err
    assert not (fleet / ".landingzone" / "runs").exists()
    return code, error


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_an_unknown_municipality(fleet, capsys):
    code, error = _audit(fleet, capsys, "lab-nowhere")
    assert code == 2
    assert f"{fleet}/lab-nowhere/hosts.yml" in error


def test_a_card_error_names_the_card_and_the_field(fleet, capsys):
    _edit(fleet / "lab-east" / "municipality.yml", 'nis_code: "42002"', 'nis_code: "4200"')
    code, error = _audit(fleet, capsys, "lab-north", "lab-east")
    assert code == 2
    assert f"{fleet}/lab-east/municipality.yml: nis_code" in error


def test_a_waiver_for_an_unknown_control(fleet, capsys):
    waiver = (
        "waivers:\n  - control: LZ-NOPE-999\n    hosts: all\n    justification: none\n"
        "    approver: CISO\n    expires: 2030-01-01\n    compensating_measure: none\n"
    )
    _edit(fleet / "lab-east" / "municipality.yml", "waivers: []\n", waiver)
    code, error = _audit(fleet, capsys, "lab-east")
    assert code == 2
    assert "municipality.yml: waivers[0].control" in error


def test_a_wrong_vault_password_names_the_encrypted_field(fleet, capsys, tmp_path_factory):
    wrong = tmp_path_factory.mktemp("pw") / "wrong"
    wrong.write_text("not the fleet's password\n")
    code = cli.main(["--fleet", str(fleet), "audit", "lab-north", "--vault-password-file", str(wrong)])
    error = capsys.readouterr().err
    assert code == 2
    assert "lab-north/group_vars/all/vault.yml: linux_baseline_breakglass_password_hash: cannot be decrypted" in error


def test_a_missing_vault_password(fleet, capsys):
    code, error = _audit(fleet, capsys, "lab-north", password=False)
    assert code == 2
    assert "vault.yml: linux_baseline_breakglass_password_hash: is vault-encrypted" in error


def test_a_missing_vault_password_file(fleet, capsys):
    code = cli.main(["--fleet", str(fleet), "audit", "lab-east", "--vault-password-file", str(fleet / "nope")])
    assert code == 2
    assert f"{fleet}/nope: --vault-password-file" in capsys.readouterr().err


def test_a_yaml_error_in_group_vars_names_the_file_and_line(fleet, capsys):
    (fleet / "lab-east" / "group_vars" / "all" / "broken.yml").write_text("---\nkey: [unclosed\n")
    code, error = _audit(fleet, capsys, "lab-east")
    assert code == 2
    assert "lab-east/group_vars/all/broken.yml: is not valid YAML (line" in error


def test_an_inventory_ansible_cannot_read(fleet, capsys):
    (fleet / "lab-east" / "hosts.yml").write_text("---\nall:\n  hosts:\n    - east-app1\n")
    code, error = _audit(fleet, capsys, "lab-east")
    assert code == 2
    assert f"{fleet}/lab-east/hosts.yml" in error


def test_a_limit_that_matches_no_host(fleet, capsys):
    code, error = _audit(fleet, capsys, "lab-east", "--limit", "no-such-host")
    assert code == 2
    assert "--limit: 'no-such-host' matches no host" in error


def test_no_municipality_named(fleet, capsys):
    code, error = _audit(fleet, capsys)
    assert code == 2
    assert "municipalities: name at least one, or give --all" in error


@pytest.mark.parametrize("option", [["--parallel", "0"], ["--parallel", "many"], ["--keep-runs", "-1"]])
def test_bad_options_are_refused_by_the_parser(fleet, capsys, option):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--fleet", str(fleet), "audit", "lab-east", *option])
    assert exit_.value.code == 2
    assert option[0] in capsys.readouterr().err


def test_a_municipality_another_run_holds(fleet, capsys):
    from landingzone.runner.lock import MunicipalityLock

    with MunicipalityLock(fleet / ".landingzone" / "locks", "lab-east"):
        code = cli.main(["--fleet", str(fleet), "audit", "lab-east", "--vault-password-file", str(PASSWORD_FILE)])
    assert code == 2
    assert "lab-east: another run is working on this municipality" in capsys.readouterr().err


def test_validate_reports_every_municipality_and_touches_no_host(fleet, capsys):
    code = cli.main(["--fleet", str(fleet), "--json", "validate", "--all", "--vault-password-file", str(PASSWORD_FILE)])
    assert code == 0
    out = capsys.readouterr().out
    assert '"municipality": "lab-east"' in out and '"municipality": "lab-north"' in out


def test_an_expired_evidence_key_stops_the_run_before_any_job(fleet, capsys):
    import datetime

    from landingzone.fleet_evidence_key import FleetEvidenceKey
    from landingzone.fleet_pki import FleetCA

    password = PASSWORD_FILE.read_text().splitlines()[0]
    FleetCA(fleet).init("test fleet CA", password)
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=800)
    FleetEvidenceKey(fleet).issue(password, now=long_ago)
    code, error = _audit(fleet, capsys, "lab-east")
    assert code == 2
    assert "evidence-signing.crt: the evidence-signing certificate expired on" in error
