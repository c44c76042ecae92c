"""`landingzone pki issue --purpose winrm`: a server certificate for a Windows host's WinRM HTTPS
listener, and certificates that strict X.509 verification accepts (Subject and Authority Key
Identifiers), checked with the cryptography library, `openssl verify -x509_strict` and a real TLS
handshake on loopback with Python's default (strict) client context, as pywinrm's would be."""

import ipaddress
import socket
import ssl
import subprocess
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from urllib3.util.ssl_ import create_urllib3_context

from landingzone.errors import LandingzoneError
from landingzone.fleet_pki import FleetCA
from landingzone.runner.vault import decrypt

PASSWORD = "fleet vault password"
HOST = "gem-vpc-01.gemeente.example"


@pytest.fixture
def fleet_ca(tmp_path):
    ca = FleetCA(tmp_path)
    ca.init("Test fleet CA", PASSWORD)
    return ca


def load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def strict_verify(ca, cert_path):
    return subprocess.run(
        ["openssl", "verify", "-x509_strict", "-CAfile", str(ca.cert_path), str(cert_path)],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_winrm_certificate_is_for_server_authentication_only_and_names_the_host(fleet_ca, tmp_path):
    cert_path, key_path = fleet_ca.issue(HOST, "winrm", ["10.20.1.11"], PASSWORD)
    assert cert_path == tmp_path / "pki" / "winrm" / f"{HOST}.crt"
    assert key_path.read_text().startswith("$ANSIBLE_VAULT;")
    cert = load(cert_path)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == HOST
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [HOST]
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.20.1.11")]
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ca_cert = load(fleet_ca.cert_path)
    ca_cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))


def test_winrm_certificate_without_an_ip_names_only_the_host(fleet_ca):
    cert = load(fleet_ca.issue(HOST, "winrm", [], PASSWORD)[0])
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(name.value) for name in sans] == [HOST]


def test_other_purposes_stay_valid_for_server_and_client(fleet_ca):
    cert = load(fleet_ca.issue("backup1.gemeente.example", "backup", [], PASSWORD)[0])
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]


def test_ca_and_leaf_carry_key_identifiers_that_chain(fleet_ca):
    ca_cert = load(fleet_ca.cert_path)
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ca_ski.digest == x509.SubjectKeyIdentifier.from_public_key(ca_cert.public_key()).digest
    ca_aki = ca_cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert ca_aki.key_identifier == ca_ski.digest
    leaf = load(fleet_ca.issue(HOST, "winrm", [], PASSWORD)[0])
    leaf_ski = leaf.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert leaf_ski.digest == x509.SubjectKeyIdentifier.from_public_key(leaf.public_key()).digest
    leaf_aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert leaf_aki.key_identifier == ca_ski.digest


@pytest.mark.parametrize("purpose", ["winrm", "backup", "log", "ipsec"])
def test_openssl_strict_verification_accepts_every_purpose(fleet_ca, purpose):
    cert_path, _ = fleet_ca.issue(HOST, purpose, ["10.20.1.11"], PASSWORD)
    verified = strict_verify(fleet_ca, cert_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # The same check can fail: a certificate of another CA is refused.
    other = FleetCA(fleet_ca.directory.parent / "other")
    other.init("Another CA", PASSWORD)
    foreign = strict_verify(other, cert_path)
    assert foreign.returncode != 0 and "unable to get local issuer certificate" in foreign.stdout + foreign.stderr


def _serve_once(context, listener):
    connection, _ = listener.accept()
    try:
        with context.wrap_socket(connection, server_side=True) as tls:
            tls.sendall(b"ok")
    except (ssl.SSLError, OSError):
        pass  # the client refused the certificate; the client side says why


def _pywinrm_context(cafile):
    """The client context requests (under pywinrm) builds for verify=<ansible_winrm_ca_trust_path>."""
    context = create_urllib3_context()
    context.load_verify_locations(cafile=cafile)
    return context


@pytest.mark.parametrize("client_context", [ssl.create_default_context, _pywinrm_context])
@pytest.mark.parametrize("server_hostname", [HOST, "127.0.0.1"])
def test_strict_clients_accept_the_listener_by_name_and_by_address(fleet_ca, tmp_path, server_hostname, client_context):
    cert_path, key_path = fleet_ca.issue(HOST, "winrm", ["127.0.0.1"], PASSWORD)
    key_pem = tmp_path / "listener.key"
    key_pem.write_text(decrypt(PASSWORD, key_path.read_text(), str(key_path)))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_pem)
    client = client_context(cafile=str(fleet_ca.cert_path))
    assert client.verify_flags & ssl.VERIFY_X509_STRICT  # Python 3.13 and later: strict by default
    with socket.create_server(("127.0.0.1", 0)) as listener:
        thread = threading.Thread(target=_serve_once, args=(server, listener), daemon=True)
        thread.start()
        with (
            socket.create_connection(listener.getsockname(), timeout=10) as raw,
            client.wrap_socket(raw, server_hostname=server_hostname) as tls,
        ):
            assert tls.recv(2) == b"ok"
        thread.join(timeout=10)


def test_python_default_context_refuses_a_name_the_certificate_does_not_carry(fleet_ca, tmp_path):
    cert_path, key_path = fleet_ca.issue(HOST, "winrm", [], PASSWORD)
    key_pem = tmp_path / "listener.key"
    key_pem.write_text(decrypt(PASSWORD, key_path.read_text(), str(key_path)))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_path, key_pem)
    client = ssl.create_default_context(cafile=str(fleet_ca.cert_path))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        thread = threading.Thread(target=_serve_once, args=(server, listener), daemon=True)
        thread.start()
        with (
            socket.create_connection(listener.getsockname(), timeout=10) as raw,
            pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch|IP address mismatch"),
        ):
            client.wrap_socket(raw, server_hostname="127.0.0.1")
        thread.join(timeout=10)


@pytest.mark.parametrize(
    ("name", "sans", "message"),
    [
        ("10.20.1.11", [], "NAME: '10.20.1.11': a WinRM certificate is issued to the host's DNS name"),
        (HOST, ["gem-vpc-02.gemeente.example"], "names one host: .* not gem-vpc-02.gemeente.example"),
        (HOST, ["*.gemeente.example"], "--san: '\\*.gemeente.example' is neither a DNS name nor an IP address"),
        (HOST, ["bad name"], "--san: 'bad name' is neither"),
    ],
)
def test_bad_winrm_input_is_refused_before_the_ca_key_is_read(fleet_ca, name, sans, message):
    # A wrong password would fail on the CA key: the input is refused first, and nothing is written.
    with pytest.raises(LandingzoneError, match=message):
        fleet_ca.issue(name, "winrm", sans, "not the vault password")
    assert not (fleet_ca.directory / "winrm").exists()


def test_a_san_repeating_the_host_name_is_not_listed_twice(fleet_ca):
    cert = load(fleet_ca.issue(HOST, "winrm", [HOST.upper(), "10.20.1.11", "10.20.1.11"], PASSWORD)[0])
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(name.value) for name in sans] == [HOST, "10.20.1.11"]
