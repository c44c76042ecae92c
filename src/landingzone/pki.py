"""A small certificate authority: one CA, certificates for TLS services.

The lab uses it for its log collector; the fleet CA (kept vault-encrypted in
the fleet repository) is built on the same functions.
"""

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
LEAF_DAYS = 397
# What a certificate is for: TLS servers and clients (backups, log forwarding, IPsec peers), or a
# TLS server only (a Windows host's WinRM HTTPS listener, which never authenticates as a client).
SERVER_AND_CLIENT = (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH)
SERVER_ONLY = (ExtendedKeyUsageOID.SERVER_AUTH,)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return _key_pem(key)


def _authority_key_identifier(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    """The issuer's Subject Key Identifier, or one computed from its key for a CA made without one."""
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def new_ca(
    common_name: str, path_length: int = 0, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A CA certificate and its key, in memory: self-signed, or signed by `issuer` (its cert and key).

    `path_length` is how many CAs may stand below it: 0 for a CA that signs only hosts' certificates.
    With Subject and Authority Key Identifiers: strict X.509 verification (OpenSSL's
    -x509_strict, Python 3.13's default ssl context) refuses a chain without them.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    issuer_cert, issuer_key = issuer or (None, key)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_cert.subject if issuer_cert else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            _authority_key_identifier(issuer_cert)
            if issuer_cert
            else x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())
    )
    return cert, key


def issue_certificate(
    ca_cert: x509.Certificate, ca_key, name: str, sans: list[str], usages=SERVER_AND_CLIENT
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate for `name` and its key, in memory: valid for server and client TLS, or for
    what `usages` (extended key usage OIDs) says."""
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for san in sans:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(san)))
        except ValueError:
            alt_names.append(x509.DNSName(san))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + datetime.timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(_authority_key_identifier(ca_cert), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


class CertificateAuthority:
    """A CA kept as ca.crt / ca.key in one directory."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.cert_path = directory / "ca.crt"
        self.key_path = directory / "ca.key"

    def ensure(self, common_name: str) -> "CertificateAuthority":
        """Create the CA unless it exists already."""
        if self.cert_path.exists() and self.key_path.exists():
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        cert, key = new_ca(common_name)
        _write_private(self.key_path, _key_pem(key))
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return self

    def issue(self, name: str, sans: list[str], out_dir: Path | None = None) -> tuple[Path, Path]:
        """Issue (once) a certificate for `name` valid for server and client TLS.

        Returns the paths of the certificate and its key.
        """
        out_dir = out_dir or self.directory
        cert_path, key_path = out_dir / f"{name}.crt", out_dir / f"{name}.key"
        if cert_path.exists() and key_path.exists():
            return cert_path, key_path
        ca_key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        cert, key = issue_certificate(ca_cert, ca_key, name, sans)
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_private(key_path, _key_pem(key))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cert_path, key_path


def main(argv: list[str] | None = None) -> int:
    """`python -m landingzone.pki DIR NAME[,NAME…]`: a CA in DIR and a
    certificate for each name (used by test scenarios)."""
    import sys

    directory, names = (argv or sys.argv[1:])[:2]
    ca = CertificateAuthority(Path(directory)).ensure("landingzone test CA")
    for name in names.split(","):
        ca.issue(name, [name, "localhost", "127.0.0.1"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
