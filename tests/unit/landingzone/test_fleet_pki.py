"""The fleet CA: its key on disk only under the vault, certificates it really signed."""

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from landingzone.errors import LandingzoneError
from landingzone.fleet_pki import FleetCA
from landingzone.runner.vault import decrypt

PASSWORD = "fleet vault password"


def test_init_keeps_the_ca_key_only_as_a_vault_file(tmp_path):
    ca = FleetCA(tmp_path)
    ca.init("Test fleet CA", PASSWORD)
    assert sorted(p.name for p in (tmp_path / "pki").iterdir()) == ["ca.crt", "ca.key.vault"]
    assert ca.key_path.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    assert oct(ca.key_path.stat().st_mode & 0o777) == "0o600"
    assert "PRIVATE KEY" in decrypt(PASSWORD, ca.key_path.read_text(), "ca.key.vault")
    cert = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_issued_certificates_are_signed_by_the_fleet_ca_and_keys_stay_under_the_vault(tmp_path):
    ca = FleetCA(tmp_path)
    ca.init("Test fleet CA", PASSWORD)
    cert_path, key_path = ca.issue("log1.gent.invalid", "log", ["log1.gent.invalid", "10.0.0.5"], PASSWORD)
    assert cert_path == tmp_path / "pki" / "log" / "log1.gent.invalid.crt"
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    ca_cert = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    ca_cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]
    assert key_path.read_text().startswith("$ANSIBLE_VAULT;")
    for path in (tmp_path / "pki").rglob("*"):
        if path.is_file():
            assert b"PRIVATE KEY" not in path.read_bytes(), path


def test_the_ca_is_never_replaced_and_a_wrong_password_signs_nothing(tmp_path):
    ca = FleetCA(tmp_path)
    ca.init("Test fleet CA", PASSWORD)
    with pytest.raises(LandingzoneError, match="never replaced"):
        ca.init("Another", PASSWORD)
    with pytest.raises(LandingzoneError, match="ca.key.vault: cannot be decrypted") as error:
        ca.issue("backup1", "backup", [], "wrong password")
    assert error.value.exit_code == 2
    assert not (tmp_path / "pki" / "backup").exists()


def test_issue_refuses_an_unknown_purpose_and_a_missing_ca(tmp_path):
    ca = FleetCA(tmp_path)
    with pytest.raises(LandingzoneError, match="no CA yet"):
        ca.issue("vpn1", "ipsec", [], PASSWORD)
    with pytest.raises(LandingzoneError, match="--purpose"):
        ca.issue("vpn1", "web", [], PASSWORD)
