"""A run's manifest.sha256, signed with the fleet's evidence-signing key, and the check of it.

The signature is a detached CMS signature (manifest.sha256.p7s) that embeds the signer's
certificate. It is trusted when that certificate was issued by the fleet CA the verifier
names, says it is for document signing only (RFC 9336; the TLS certificates the same CA
gives hosts cannot sign evidence), and was valid when it signed. Only public certificates
are needed to check it.
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ObjectIdentifier

from landingzone.evidence.cms import CmsError, ContentMismatch, sign_detached, verify_detached
from landingzone.evidence.manifest import MANIFEST, SIGNATURE_FILE

# id-kp-documentSigning (RFC 9336): the one extended key usage an evidence-signing certificate has.
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")


class SignatureProblem(Exception):
    """Why a run's signature is not trusted; the message names the file, ``files`` lists the ones in question."""

    def __init__(self, message: str, files: tuple[str, ...] = (SIGNATURE_FILE,)):
        super().__init__(message)
        self.files = list(files)


@dataclass(frozen=True)
class EvidenceSigner:
    """The fleet's evidence-signing certificate and its key, decrypted in memory for one command."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def sign(self, content: bytes) -> bytes:
        return sign_detached(content, self.certificate, self.key)


@dataclass(frozen=True)
class SignatureFacts:
    signer: str
    serial: str
    signer_sha256: str
    signed_at: datetime.datetime
    ca: str
    ca_sha256: str

    def describe(self) -> str:
        return (
            f"{MANIFEST} signed {self.signed_at.isoformat()} by {self.signer} (serial {self.serial}, "
            f"certificate sha256 {self.signer_sha256}), issued by {self.ca} (sha256 {self.ca_sha256})"
        )


def subject(certificate: x509.Certificate) -> str:
    try:
        return certificate.subject.rfc4514_string()
    except ValueError:  # cryptography reads names lazily; a damaged one fails only here
        return "(an unreadable subject)"


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def sign_manifest(run_dir: Path, signer: EvidenceSigner) -> Path:
    """Write (or replace) the run's signature over its manifest as it is now."""
    path = Path(run_dir) / SIGNATURE_FILE
    path.write_bytes(signer.sign((Path(run_dir) / MANIFEST).read_bytes()))
    return path


def is_signed(run_dir: Path) -> bool:
    return (Path(run_dir) / SIGNATURE_FILE).exists()


def _valid_at(certificate: x509.Certificate, moment: datetime.datetime) -> bool:
    return certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc


def _extension(certificate: x509.Certificate, kind):
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def check_purpose(certificate: x509.Certificate, where: str) -> None:
    """An evidence-signing certificate: an end entity whose only extended key usage is document signing."""
    usages = list(_extension(certificate, x509.ExtendedKeyUsage) or [])
    key_usage = _extension(certificate, x509.KeyUsage)
    constraints = _extension(certificate, x509.BasicConstraints)
    if usages != [DOCUMENT_SIGNING]:
        names = ", ".join(usage.dotted_string for usage in usages) or "none"
        raise SignatureProblem(
            f"{where}: the signer's certificate is not an evidence-signing certificate (extended key usage: {names})"
        )
    if key_usage is None or not key_usage.digital_signature or constraints is None or constraints.ca:
        raise SignatureProblem(f"{where}: the signer's certificate may not sign: it is a CA or lacks digitalSignature")


def check_signature(run_dir: Path, ca: x509.Certificate) -> SignatureFacts:
    """Raise SignatureProblem unless manifest.sha256.p7s is a trusted signature over manifest.sha256."""
    run_dir = Path(run_dir)
    signature_path, manifest_path = run_dir / SIGNATURE_FILE, run_dir / MANIFEST
    if not signature_path.is_file():
        raise SignatureProblem(f"{SIGNATURE_FILE}: missing: this run's evidence is not signed")
    if not manifest_path.is_file():
        raise SignatureProblem(
            f"{MANIFEST}: missing: there is nothing the signature can be checked against", (MANIFEST,)
        )
    try:
        signed = verify_detached(signature_path.read_bytes(), manifest_path.read_bytes())
    except ContentMismatch:
        raise SignatureProblem(
            f"{MANIFEST}: is not the manifest {SIGNATURE_FILE} signed: one of the two changed since signing",
            (MANIFEST, SIGNATURE_FILE),
        ) from None
    except CmsError as exc:
        raise SignatureProblem(f"{SIGNATURE_FILE}: does not verify over {MANIFEST}: {exc}") from None
    signer = signed.signer
    try:
        signer.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        raise SignatureProblem(
            f"{SIGNATURE_FILE}: signed by {subject(signer)}, whose certificate was not issued "
            f"by the trusted CA {subject(ca)} (sha256 {fingerprint(ca)})"
        ) from None
    check_purpose(signer, SIGNATURE_FILE)
    for certificate, role in ((signer, "signer's"), (ca, "CA")):
        if not _valid_at(certificate, signed.signing_time):
            raise SignatureProblem(
                f"{SIGNATURE_FILE}: signed {signed.signing_time.isoformat()}, outside the {role} certificate's "
                f"validity ({certificate.not_valid_before_utc.isoformat()} to "
                f"{certificate.not_valid_after_utc.isoformat()})"
            )
    return SignatureFacts(
        signer=subject(signer),
        serial=format(signer.serial_number, "x"),
        signer_sha256=fingerprint(signer),
        signed_at=signed.signing_time,
        ca=subject(ca),
        ca_sha256=fingerprint(ca),
    )
