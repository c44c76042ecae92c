"""The fleet's evidence-signing key: issued by the fleet CA for document signing only.

`<fleet>/pki/evidence/evidence-signing.crt` is public; its key exists on disk only as
`evidence-signing.key.vault`, like every key of the fleet PKI. Every run's manifest is signed
with it (landingzone.evidence.signature); an auditor checks the signatures with the fleet CA's
certificate alone. Renewing replaces the pair: old signatures embed the certificate they were
made with, so they keep verifying.
"""

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from landingzone.errors import LandingzoneError
from landingzone.evidence.signature import DOCUMENT_SIGNING, EvidenceSigner
from landingzone.fleet_pki import FleetCA, _write_vaulted
from landingzone.pki import LEAF_DAYS, _authority_key_identifier, key_pem
from landingzone.runner.vault import decrypt

COMMON_NAME = "landingzone evidence signing"


def evidence_certificate(
    ca_cert: x509.Certificate, ca_key, now: datetime.datetime, days: int = LEAF_DAYS
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate whose key may sign documents and nothing else: no TLS, no certificates."""
    key = ec.generate_private_key(ec.SECP256R1())
    usage = dict.fromkeys(
        ("key_encipherment", "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign"), False
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                encipher_only=False,
                decipher_only=False,
                **usage,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([DOCUMENT_SIGNING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(_authority_key_identifier(ca_cert), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


class FleetEvidenceKey:
    def __init__(self, fleet: Path):
        self.ca = FleetCA(fleet)
        self.directory = self.ca.directory / "evidence"
        self.cert_path = self.directory / "evidence-signing.crt"
        self.key_path = self.directory / "evidence-signing.key.vault"

    def exists(self) -> bool:
        return self.cert_path.exists() and self.key_path.exists()

    def issue(self, password: str, renew: bool = False, now: datetime.datetime | None = None) -> Path:
        """Issue the key (once), or a fresh one in place of the old with ``renew``."""
        if (self.cert_path.exists() or self.key_path.exists()) and not renew:
            raise LandingzoneError(
                f"{self.cert_path}: pki evidence-key: the fleet has an evidence-signing key; "
                "give --renew to replace it (old runs keep verifying)"
            )
        ca_cert, ca_key = self.ca._signing_material(password)
        cert, key = evidence_certificate(ca_cert, ca_key, now or datetime.datetime.now(datetime.UTC))
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_vaulted(self.key_path, key_pem(key), password)
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return self.cert_path

    def signer(self, password: str | None, now: datetime.datetime | None = None) -> EvidenceSigner | None:
        """The signer for a command's runs; None when the fleet has no evidence key.

        An expired certificate or an unreadable key stops the command before any host is touched.
        """
        if not self.exists():
            return None
        cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        now = now or datetime.datetime.now(datetime.UTC)
        if cert.not_valid_after_utc < now:
            raise LandingzoneError(
                f"{self.cert_path}: the evidence-signing certificate expired on "
                f"{cert.not_valid_after_utc.date()}: renew it with `landingzone pki evidence-key --renew`"
            )
        pem = decrypt(password, self.key_path.read_text(encoding="utf-8"), str(self.key_path))
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
            raise LandingzoneError(f"{self.key_path}: is not the key of {self.cert_path}")
        return EvidenceSigner(cert, key)
