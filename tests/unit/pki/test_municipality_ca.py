"""`landingzone pki municipality-ca`: each municipality its own issuing CA under the fleet CA, so that a
collector trusting only its municipality's CA refuses every other municipality's certificates.

Through the CLI, on a fleet of two municipalities, with chains checked by `openssl verify`
(strict X.509). The TLS side (the collector's GnuTLS refusing another municipality's certificate)
is proven against a real collector in the molecule scenario `default`.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from landingzone import cli
from landingzone.fleet_pki import _write_vaulted
from landingzone.pki import key_pem, new_ca
from landingzone.runner.vault import decrypt

PASSWORD = "fleet vault password"


@pytest.fixture
def fleet(tmp_path, monkeypatch):
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD_FILE", raising=False)
    monkeypatch.setenv("LANDINGZONE_VAULT_PASSWORD", PASSWORD)
    for name in ("gent", "aalst"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "hosts.yml").write_text("---\nall: {}\n")
    return tmp_path


def pki(fleet, capsys, *args):
    code = cli.main(["--fleet", str(fleet), "--json", "pki", *args])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else captured.err)


def verify(*args):
    return subprocess.run(["openssl", "verify", "-x509_strict", *map(str, args)], capture_output=True, text=True)


def test_each_municipality_gets_a_ca_under_the_fleet_ca_that_refuses_the_other(fleet, capsys):
    assert pki(fleet, capsys, "init")[0] == 0
    for name in ("gent", "aalst"):
        code, out = pki(fleet, capsys, "municipality-ca", name)
        assert code == 0, out
        assert out["ca_cert"] == str(fleet / "pki" / "municipalities" / name / "ca.crt")
    code, gent_app = pki(fleet, capsys, "issue", "gent-app1", "--purpose", "log", "--municipality", "gent")
    assert code == 0, gent_app
    code, aalst_app = pki(fleet, capsys, "issue", "aalst-app1", "--purpose", "log", "--municipality", "aalst")
    assert code == 0, aalst_app
    root = fleet / "pki" / "ca.crt"
    gent, aalst = (fleet / "pki" / "municipalities" / name / "ca.crt" for name in ("gent", "aalst"))
    assert gent_app["cert"] == str(fleet / "pki" / "municipalities" / "gent" / "log" / "gent-app1.crt")

    # A whole chain up to the fleet CA: the fleet CA may sign CAs, the municipality's CA only hosts.
    assert verify("-CAfile", root, "-untrusted", gent, gent_app["cert"]).returncode == 0
    constraints = x509.load_pem_x509_certificate(gent.read_bytes()).extensions.get_extension_for_class(
        x509.BasicConstraints
    )
    assert constraints.value.ca and constraints.value.path_length == 0
    # Trusting only gent's CA, as gent's collector does: gent's host passes, aalst's does not,
    # not even with aalst's CA and the fleet CA offered as intermediates.
    assert verify("-partial_chain", "-CAfile", gent, gent_app["cert"]).returncode == 0
    refused = verify("-partial_chain", "-CAfile", gent, "-untrusted", aalst, "-untrusted", root, aalst_app["cert"])
    assert refused.returncode != 0
    assert "aalst-app1.crt: verification failed" in refused.stderr

    # Keys only under the vault.
    for path in (fleet / "pki").rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes(), path
    assert "PRIVATE KEY" in decrypt(
        PASSWORD, (fleet / "pki" / "municipalities" / "gent" / "ca.key.vault").read_text(), "x"
    )


def test_a_log_certificate_comes_only_from_a_municipality_ca_of_the_fleet(fleet, capsys):
    assert pki(fleet, capsys, "init")[0] == 0
    code, error = pki(fleet, capsys, "issue", "gent-app1", "--purpose", "log")
    assert code == 2 and "pki issue: --municipality:" in error
    code, error = pki(fleet, capsys, "issue", "gent-app1", "--purpose", "log", "--municipality", "gent")
    assert code == 2 and "gent has no CA yet: run `landingzone pki municipality-ca gent`" in error
    code, error = pki(fleet, capsys, "municipality-ca", "gnet")
    assert code == 2 and f"{fleet / 'gnet' / 'hosts.yml'}" in error
    code, error = pki(fleet, capsys, "municipality-ca", "../gent")
    assert code == 2 and "--municipality: '../gent' is not a municipality name" in error
    assert pki(fleet, capsys, "municipality-ca", "gent")[0] == 0
    code, error = pki(fleet, capsys, "municipality-ca", "gent")
    assert code == 2 and "already has a CA; it is never replaced" in error
    assert not (fleet / "pki" / "municipalities" / "gnet").exists()


def test_a_municipality_ca_needs_the_fleet_ca_first(fleet, capsys):
    code, error = pki(fleet, capsys, "municipality-ca", "gent")
    assert code == 2 and "no CA yet: run `landingzone pki init` first" in error


def test_a_fleet_ca_made_to_sign_hosts_only_cannot_sign_a_municipality_ca(fleet, capsys):
    cert, key = new_ca("an older fleet CA")  # path length 0, as fleet CAs were made before
    (fleet / "pki").mkdir()
    (fleet / "pki" / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_vaulted(fleet / "pki" / "ca.key.vault", key_pem(key), PASSWORD)
    code, error = pki(fleet, capsys, "municipality-ca", "gent")
    assert code == 2 and "path length 0" in error
    assert not (fleet / "pki" / "municipalities").exists()
