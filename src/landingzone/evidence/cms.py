"""Detached CMS signatures (RFC 5652): made with cryptography, read and checked here.

cryptography writes CMS SignedData but cannot verify it, so this file reads the few fields a
verifier needs with a strict DER reader (definite, minimal lengths; nothing left over) and
checks them: one signer, SHA-256, ECDSA, a message digest equal to the content's, and the
signature over the signed attributes. `openssl cms -verify` accepts the same signatures, which
lets an auditor check them with no landingzone at all (docs/evidence.md).
"""

import datetime
import hashlib
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_DATA = "1.2.840.113549.1.7.1"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_TIME = "1.2.840.113549.1.9.5"

SEQUENCE, SET, OID, OCTET_STRING, INTEGER = 0x30, 0x31, 0x06, 0x04, 0x02
UTC_TIME, GENERALIZED_TIME = 0x17, 0x18
CONTEXT_0, CONTEXT_1 = 0xA0, 0xA1


class CmsError(ValueError):
    """A signature that cannot be read or does not hold; the message says which part."""


class ContentMismatch(CmsError):
    """A readable signature whose signed digest is not the content's: the content or the signature changed."""


@dataclass(frozen=True)
class Tlv:
    tag: int
    content: bytes
    encoded: bytes  # the whole element, tag and length included


@dataclass(frozen=True)
class DetachedSignature:
    """What a valid signature says: who signed (their certificate, as embedded) and when."""

    signer: x509.Certificate
    signing_time: datetime.datetime


def sign_detached(content: bytes, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> bytes:
    """A DER CMS SignedData over ``content`` that embeds the signer's certificate but not the content."""
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary, pkcs7.PKCS7Options.NoCapabilities]
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(certificate, key, hashes.SHA256())
    return builder.sign(Encoding.DER, options)


def _read(data: bytes, offset: int) -> tuple[Tlv, int]:
    if offset + 2 > len(data):
        raise CmsError("truncated DER element")
    tag, first = data[offset], data[offset + 1]
    if tag & 0x1F == 0x1F:
        raise CmsError("multi-byte DER tags are not used in CMS")
    header = 2
    if first < 0x80:
        length = first
    elif first == 0x80 or first > 0x84:
        raise CmsError("indefinite or oversized length: not DER")
    else:
        count = first & 0x7F
        raw = data[offset + 2 : offset + 2 + count]
        length = int.from_bytes(raw, "big")
        if len(raw) != count or raw[0] == 0 or length < 0x80:
            raise CmsError("length not in its shortest form: not DER")
        header += count
    end = offset + header + length
    if end > len(data):
        raise CmsError("DER element runs past the end of the data")
    return Tlv(tag, data[offset + header : end], data[offset:end]), end


def _whole(data: bytes) -> Tlv:
    element, end = _read(data, 0)
    if end != len(data):
        raise CmsError(f"{len(data) - end} bytes after the signature")
    return element


def _children(element: Tlv) -> list[Tlv]:
    if not element.tag & 0x20:
        raise CmsError(f"element with tag {element.tag:#x} is not constructed")
    items, offset = [], 0
    while offset < len(element.content):
        item, offset = _read(element.content, offset)
        items.append(item)
    return items


def _expect(element: Tlv, tag: int, what: str) -> Tlv:
    if element.tag != tag:
        raise CmsError(f"{what}: expected tag {tag:#x}, found {element.tag:#x}")
    return element


def _oid(element: Tlv) -> str:
    body = _expect(element, OID, "object identifier").content
    if not body or body[-1] & 0x80:
        raise CmsError("malformed object identifier")
    numbers, value = [], 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(value)
            value = 0
    first = min(numbers[0] // 40, 2)
    return ".".join(map(str, [first, numbers[0] - 40 * first, *numbers[1:]]))


# The only algorithm identifiers accepted, as whole DER encodings: SHA-256 (with or without its
# NULL parameters) and ECDSA with SHA-256. Every byte of them is compared, not just the OID.
SHA256_ENCODINGS = (
    bytes.fromhex("300d06096086480165030402010500"),
    bytes.fromhex("300b0609608648016503040201"),
)
ECDSA_SHA256_ENCODING = bytes.fromhex("300a06082a8648ce3d040302")
VERSION_1 = bytes.fromhex("020101")


def _exactly(element: Tlv, accepted: tuple[bytes, ...], what: str) -> None:
    if element.encoded not in accepted:
        raise CmsError(f"{what} is not one this verifier accepts")


def _time(element: Tlv) -> datetime.datetime:
    text = element.content.decode("ascii", "replace")
    formats = {UTC_TIME: "%y%m%d%H%M%SZ", GENERALIZED_TIME: "%Y%m%d%H%M%SZ"}
    if element.tag not in formats:
        raise CmsError("signing time is neither UTCTime nor GeneralizedTime")
    try:
        return datetime.datetime.strptime(text, formats[element.tag]).replace(tzinfo=datetime.UTC)
    except ValueError:
        raise CmsError(f"unreadable signing time {text!r}") from None


def _certificate(element: Tlv) -> x509.Certificate:
    # cryptography accepts a signature BIT STRING that claims unused bits when they happen to be
    # zero; DER does not, and neither does this reader, so that no byte of a signature is slack.
    bits = _children(_expect(element, SEQUENCE, "certificate"))[2]
    if _expect(bits, 0x03, "certificate signature").content[:1] != b"\x00":
        raise CmsError("a certificate's signature claims unused bits: not DER")
    return x509.load_der_x509_certificate(element.encoded)


def _signed_attributes(element: Tlv) -> dict[str, Tlv]:
    attributes: dict[str, Tlv] = {}
    for attribute in _children(element):
        kind, values = _children(_expect(attribute, SEQUENCE, "signed attribute"))
        (value,) = _children(_expect(values, SET, "attribute values")) or [None]
        oid = _oid(kind)
        if oid in attributes or value is None:
            raise CmsError(f"signed attribute {oid} repeated or empty")
        attributes[oid] = value
    return attributes


def _signer_certificate(certificates: list[x509.Certificate], issuer_and_serial: Tlv) -> x509.Certificate:
    issuer, serial = _children(_expect(issuer_and_serial, SEQUENCE, "signer identifier"))
    number = int.from_bytes(_expect(serial, INTEGER, "serial number").content, "big", signed=True)
    for certificate in certificates:
        if certificate.serial_number == number and certificate.issuer.public_bytes() == issuer.encoded:
            return certificate
    raise CmsError("the signer's certificate is not in the signature")


def verify_detached(signature: bytes, content: bytes) -> DetachedSignature:
    """Check a detached signature over ``content``; raise CmsError saying what does not hold.

    This proves only that the embedded certificate's key signed this content. Whom to trust
    (which CA, which purpose) is the caller's decision.
    """
    try:
        return _verify(signature, content)
    except CmsError:
        raise
    except (IndexError, ValueError, x509.InvalidVersion, UnsupportedAlgorithm) as exc:
        # A field missing where the structure needs one, or an embedded certificate cryptography cannot read.
        raise CmsError(f"malformed signature: {exc or type(exc).__name__}") from None


def _verify(signature: bytes, content: bytes) -> DetachedSignature:
    info = _children(_expect(_whole(signature), SEQUENCE, "ContentInfo"))
    if len(info) != 2 or _oid(info[0]) != OID_SIGNED_DATA:
        raise CmsError("not a CMS SignedData")
    (signed_data,) = _children(_expect(info[1], CONTEXT_0, "SignedData wrapper"))
    parts = _children(_expect(signed_data, SEQUENCE, "SignedData"))
    _exactly(parts[0], (VERSION_1,), "SignedData version")
    (digest_algorithms,) = _children(_expect(parts[1], SET, "digest algorithms"))
    _exactly(digest_algorithms, SHA256_ENCODINGS, "digest algorithm")
    encapsulated, rest = parts[2], parts[3:]
    content_info = _children(_expect(encapsulated, SEQUENCE, "encapsulated content"))
    if _oid(content_info[0]) != OID_DATA or len(content_info) != 1:
        raise CmsError("the signature must be detached, over plain data")
    certificates = []
    if rest and rest[0].tag == CONTEXT_0:
        certificates = [_certificate(c) for c in _children(rest.pop(0))]
    if rest and rest[0].tag == CONTEXT_1:
        rest.pop(0)  # CRLs: revocation is not checked (see docs/evidence.md)
    if len(rest) != 1:
        raise CmsError("unexpected fields in SignedData")
    signer_infos = _children(_expect(rest[0], SET, "signer infos"))
    if len(signer_infos) != 1:
        raise CmsError(f"{len(signer_infos)} signers; exactly one is accepted")
    fields = _children(_expect(signer_infos[0], SEQUENCE, "signer info"))
    if len(fields) != 6:
        raise CmsError("signer info without signed attributes, or with unsigned ones")
    version, sid, digest_algorithm, signed_attrs, signature_algorithm, value = fields
    _exactly(version, (VERSION_1,), "signer info version")
    _exactly(digest_algorithm, SHA256_ENCODINGS, "signer's digest algorithm")
    _exactly(signature_algorithm, (ECDSA_SHA256_ENCODING,), "signature algorithm")
    attributes = _signed_attributes(_expect(signed_attrs, CONTEXT_0, "signed attributes"))
    if OID_CONTENT_TYPE not in attributes or _oid(attributes[OID_CONTENT_TYPE]) != OID_DATA:
        raise CmsError("signed content type is not plain data")
    digest = _expect(attributes.get(OID_MESSAGE_DIGEST) or Tlv(0, b"", b""), OCTET_STRING, "message digest")
    if digest.content != hashlib.sha256(content).digest():
        raise ContentMismatch("the signature was made over other content (message digest differs)")
    if OID_SIGNING_TIME not in attributes:
        raise CmsError("no signing time")
    signer = _signer_certificate(certificates, sid)
    public_key = signer.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise CmsError("the signer's key is not an elliptic-curve key")
    # The signature covers the DER of the attributes as a SET, not under their [0] tag (RFC 5652 5.4).
    covered = bytes([SET]) + signed_attrs.encoded[1:]
    try:
        public_key.verify(_expect(value, OCTET_STRING, "signature").content, covered, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise CmsError("the signature does not match its signed attributes") from None
    return DetachedSignature(signer=signer, signing_time=_time(attributes[OID_SIGNING_TIME]))
