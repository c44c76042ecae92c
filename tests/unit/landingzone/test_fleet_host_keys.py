"""A fleet municipality's SSH host CA on disk: its key only under the vault, the known_hosts
runs read, revocation when a host is enrolled anew, and the errors before any host is asked.
The live enrolment (keyscan, the pinned install, sshd) is in tests/integration/test_host_keys.py."""

import json
import subprocess
from pathlib import Path

import pytest

from landingzone import cli
from landingzone.errors import LandingzoneError
from landingzone.fleet_host_keys import Endpoint, MunicipalitySshCA, endpoint, enrolled_key, key_of_scanned_line
from landingzone.runner.secret_values import inventory_files, municipality_secrets
from landingzone.ssh_host_ca import fingerprint, public_line, sign_host_key

PASSWORD = "unit vault password 9"


def _fleet(tmp_path: Path, host_line: str = "gent-app1: {ansible_host: 192.0.2.11}") -> Path:
    fleet = tmp_path / "fleet"
    (fleet / "gent").mkdir(parents=True)
    (fleet / "gent" / "hosts.yml").write_text(f"all:\n  hosts:\n    {host_line}\n")
    return fleet


def _host_key(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path], check=True)
    return path.with_suffix(".pub").read_text().strip()


def test_init_keeps_the_key_only_under_the_vault_and_trusts_only_its_ca(tmp_path):
    fleet = _fleet(tmp_path)
    ca = MunicipalitySshCA(fleet, "gent")
    ca.init(PASSWORD)
    assert ca.key_path.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    assert ca.key_path.stat().st_mode & 0o777 == 0o600
    assert b"OPENSSH PRIVATE KEY" not in b"".join(p.read_bytes() for p in fleet.rglob("*") if p.is_file())
    authority = ca.authority(PASSWORD)
    assert ca.public_path.read_text().split()[:2] == public_line(authority).split()[:2]
    trusted = [line for line in (fleet / "gent" / "known_hosts").read_text().splitlines() if not line.startswith("#")]
    assert trusted == [f"@cert-authority * {public_line(authority)} landingzone SSH host CA gent"]
    with pytest.raises(LandingzoneError, match=r"gent has an SSH host CA already"):
        ca.init(PASSWORD)
    with pytest.raises(LandingzoneError, match=r"ca.key.vault: cannot be decrypted with the given vault password"):
        ca.authority("wrong")


def test_init_never_replaces_an_existing_known_hosts(tmp_path):
    fleet = _fleet(tmp_path)
    (fleet / "gent" / "known_hosts").write_text("gent-app1 ssh-ed25519 AAAA\n")
    with pytest.raises(LandingzoneError, match=r"gent/known_hosts: host-keys init: exists already"):
        MunicipalitySshCA(fleet, "gent").init(PASSWORD)


def test_a_host_enrolled_anew_revokes_its_previous_key_once(tmp_path):
    fleet = _fleet(tmp_path)
    ca = MunicipalitySshCA(fleet, "gent")
    ca.init(PASSWORD)
    authority = ca.authority(PASSWORD)
    first, second = _host_key(tmp_path, "first"), _host_key(tmp_path, "second")
    assert ca.record("gent-app1", sign_host_key(authority, first, ["gent-app1"], "gent/gent-app1")) is None
    # The same key signed again (names changed): nothing to revoke.
    assert ca.record("gent-app1", sign_host_key(authority, first, ["gent-app1", "10.0.0.1"], "g")) is None
    replaced = ca.record("gent-app1", sign_host_key(authority, second, ["gent-app1"], "gent/gent-app1"))
    assert replaced.split()[:2] == first.split()[:2]
    assert ca.revoke_key(first, "again") is False
    revoked = [line for line in ca.known_hosts.read_text().splitlines() if line.startswith("@revoked")]
    assert len(revoked) == 1 and revoked[0].startswith(f"@revoked * {' '.join(first.split()[:2])} gent-app1")
    # OpenSSH reads the file: the revoked key is marked as such.
    found = subprocess.run(["ssh-keygen", "-F", "gent-app1", "-f", str(ca.known_hosts)], capture_output=True, text=True)
    assert "@revoked" in found.stdout and "@cert-authority" in found.stdout

    shown = ca.show()
    assert shown["hosts"] == [
        {
            "host": "gent-app1",
            "key": fingerprint(second),
            "names": ["gent-app1"],
            "expires": "never",
            "authority": fingerprint(public_line(authority)),
        }
    ]
    assert [r["fingerprint"] for r in shown["revoked"]] == [fingerprint(first)]

    assert ca.revoke("gent-app1").split()[:2] == second.split()[:2]
    assert not ca.certificate_path("gent-app1").exists()
    assert len(ca.show()["revoked"]) == 2
    with pytest.raises(LandingzoneError, match=r"gent-app1-cert.pub: host-keys revoke: gent-app1 has no certificate"):
        ca.revoke("gent-app1")


def test_a_municipality_without_a_ca_is_told_how_to_make_one(tmp_path):
    ca = MunicipalitySshCA(_fleet(tmp_path), "gent")
    assert ca.show()["exists"] is False
    with pytest.raises(LandingzoneError, match=r"gent has no SSH host CA: run `landingzone host-keys init gent`"):
        ca.authority(PASSWORD)


def test_the_endpoint_comes_from_the_inventory_and_a_template_is_refused(tmp_path):
    hosts = _fleet(tmp_path) / "gent" / "hosts.yml"
    assert endpoint(hosts, "gent-app1", None) == Endpoint("192.0.2.11", 22)
    assert endpoint(hosts, "gent-app1", "198.51.100.7").address == "198.51.100.7"
    with pytest.raises(LandingzoneError, match=r"hosts.yml: host-keys: 'gent-app9' is not a host of this inventory"):
        endpoint(hosts, "gent-app9", None)
    templated = _fleet(tmp_path / "t", 'gent-app1: {ansible_host: \'{{ lookup("env", "X") }}\'}') / "gent/hosts.yml"
    with pytest.raises(LandingzoneError, match=r"gent-app1.ansible_host: is a template.*give --address"):
        endpoint(templated, "gent-app1", None)


def test_the_key_to_enroll_is_given_whole_or_as_a_well_formed_fingerprint(tmp_path):
    point = endpoint(_fleet(tmp_path) / "gent" / "hosts.yml", "gent-app1", None)
    key = _host_key(tmp_path, "host")
    assert enrolled_key("gent-app1", point, None, tmp_path / "host.pub") == key
    (tmp_path / "rsa.pub").write_text("ssh-rsa AAAAB3NzaC1yc2E= x\n")
    with pytest.raises(LandingzoneError, match=r"rsa.pub: --public-key: not an ed25519 public key line"):
        enrolled_key("gent-app1", point, None, tmp_path / "rsa.pub")
    for wrong in ("", "MD5:aa:bb", "SHA256:short"):
        with pytest.raises(LandingzoneError, match=r"--fingerprint: give the host's ed25519 key fingerprint"):
            enrolled_key("gent-app1", point, wrong, None)


def test_the_cli_needs_the_vault_and_one_way_to_name_the_key(tmp_path, capsys, monkeypatch):
    fleet = _fleet(tmp_path)
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD", raising=False)
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD_FILE", raising=False)
    assert cli.main(["--fleet", str(fleet), "host-keys", "init", "gent"]) == 2
    assert "the SSH host CA's key lives under the vault" in capsys.readouterr().err
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\n")
    common = ["--fleet", str(fleet), "--vault-password-file", str(password_file)]
    assert cli.main([*common, "--json", "host-keys", "init", "gent"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["exists"] is True and len(shown["authorities"]) == 1
    assert cli.main([*common, "host-keys", "enroll", "gent", "gent-app1"]) == 2
    assert "give the host's key as --fingerprint or as --public-key" in capsys.readouterr().err
    assert cli.main([*common, "host-keys", "show", "gent"]) == 0
    assert f"SSH host CA  {shown['authorities'][0]['fingerprint']}" in capsys.readouterr().out
    assert cli.main([*common, "host-keys", "show", "nowhere"]) == 2
    assert "nowhere/hosts.yml: no inventory for municipality 'nowhere'" in capsys.readouterr().err


def test_the_known_hosts_beside_an_inventory_is_not_read_as_one_of_its_yaml_files(tmp_path):
    fleet = _fleet(tmp_path)
    MunicipalitySshCA(fleet, "gent").init(PASSWORD)
    assert inventory_files(fleet / "gent") == [fleet / "gent" / "hosts.yml"]
    assert municipality_secrets(fleet / "gent", PASSWORD, set()) == set()


def test_a_scanned_key_and_a_scanned_certificate_are_read_alike():
    # ssh-keyscan puts the host before a key, and nothing before a certificate (its -c).
    assert key_of_scanned_line("10.0.0.1 ssh-ed25519 AAAAkey") == "ssh-ed25519 AAAAkey"
    assert (
        key_of_scanned_line("ssh-ed25519-cert-v01@openssh.com AAAAcert") == "ssh-ed25519-cert-v01@openssh.com AAAAcert"
    )
