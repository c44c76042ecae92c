"""SSH host certificates: the authority that vouches for a municipality's hosts.

A host certificate binds a host's public SSH key to its names (the principals ssh compares
with the name it connected to). ssh trusts every certificate of the authority through one
line of known_hosts, ``@cert-authority * <its public key>``. So a host that the landing zone
itself (re)built is trusted as soon as its new key is signed, with no fingerprint to copy,
while a machine without such a certificate is refused: an impostor on the network path, a
host whose key changed behind our back, or a host of the same municipality presenting its
own certificate under another host's name.

Everything here works in memory; where the authority's key is kept (a lab's state directory,
or vault-encrypted in the fleet repository) is up to its caller.
"""

import base64
import datetime
import hashlib
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.serialization import (
    SSHCertificate,
    SSHCertificateBuilder,
    SSHCertificateType,
    load_ssh_public_identity,
    load_ssh_public_key,
)

from landingzone.errors import LandingzoneError

# OpenSSH's "valid forever": the largest 64-bit time.
FOREVER = 2**64 - 1
# On the host: the ed25519 key every Debian host has, where its certificate goes, and the
# sshd drop-in that presents it (beside the baseline's 00-landingzone.conf, which leaves other
# drop-ins alone; 0600, as the baseline wants every sshd drop-in).
HOST_KEY_PATH = "/etc/ssh/ssh_host_ed25519_key.pub"
HOST_CERTIFICATE_PATH = "/etc/ssh/ssh_host_ed25519_key-cert.pub"
SSHD_DROPIN_PATH = "/etc/ssh/sshd_config.d/10-landingzone-host-certificate.conf"
# A certificate is valid from a little before it was made: the host's clock may lag ours.
CLOCK_SKEW = datetime.timedelta(minutes=5)


def new_authority() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


def private_key_bytes(key: ed25519.Ed25519PrivateKey) -> bytes:
    """The authority's key in OpenSSH's own format, unencrypted: callers protect the file."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )


def load_authority(data: bytes, source: str) -> ed25519.Ed25519PrivateKey:
    try:
        key = serialization.load_ssh_private_key(data, password=None)
    except ValueError as exc:
        raise LandingzoneError(f"{source}: not an OpenSSH private key: {exc}") from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise LandingzoneError(f"{source}: an SSH host CA key must be ed25519")
    return key


def public_line(key, comment: str = "") -> str:
    """`ssh-ed25519 AAAA… comment` of a private or public key."""
    public = key.public_key() if hasattr(key, "public_key") else key
    text = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{text} {comment}".strip()


def _blob(line: str) -> bytes:
    parts = line.split()
    try:
        return base64.b64decode(parts[1], validate=True)
    except (IndexError, ValueError):
        raise LandingzoneError(f"not an OpenSSH public key line: {line[:60]!r}") from None


def fingerprint(line: str) -> str:
    """The key's fingerprint as `ssh-keygen -l` and ssh print it: SHA256:<base64, no padding>."""
    digest = hashlib.sha256(_blob(line)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def same_key(first: str, second: str) -> bool:
    """Whether two public key lines hold the same key, whatever their comments."""
    return first.split()[:2] == second.split()[:2]


def parse_public_key(line: str, source: str):
    try:
        return load_ssh_public_key(line.strip().encode())
    except (ValueError, TypeError) as exc:
        raise LandingzoneError(f"{source}: not an OpenSSH public key: {exc}") from None


def sign_host_key(
    authority: ed25519.Ed25519PrivateKey,
    host_key_line: str,
    principals: list[str],
    key_id: str,
    lifetime: datetime.timedelta | None = None,
    source: str = "host key",
) -> str:
    """A host certificate for the key, valid for exactly these names; forever without a lifetime."""
    if not principals or any(not name or any(c.isspace() or c == "," for c in name) for name in principals):
        raise LandingzoneError(f"{source}: the certificate's names must be non-empty, without spaces or commas")
    now = datetime.datetime.now(datetime.UTC)
    valid_after = int((now - CLOCK_SKEW).timestamp()) if lifetime else 0
    valid_before = int((now + lifetime).timestamp()) if lifetime else FOREVER
    certificate = (
        SSHCertificateBuilder()
        .public_key(parse_public_key(host_key_line, source))
        .serial(secrets.randbits(64))
        .type(SSHCertificateType.HOST)
        .key_id(key_id.encode())
        .valid_principals([name.encode() for name in dict.fromkeys(principals)])
        .valid_after(valid_after)
        .valid_before(valid_before)
        .sign(authority)
    )
    return certificate.public_bytes().decode() + f" {key_id}"


@dataclass(frozen=True)
class CertificateInfo:
    key_id: str
    principals: list[str]
    valid_after: int
    valid_before: int
    # The certified host key, and the authority that signed it, as `ssh-ed25519 AAAA…` lines.
    host_key: str
    authority: str

    @property
    def expires(self) -> str:
        if self.valid_before == FOREVER:
            return "never"
        return datetime.datetime.fromtimestamp(self.valid_before, datetime.UTC).isoformat(timespec="seconds")

    def valid_for(self, authority_line: str, host_key_line: str, principals: list[str], margin_seconds: int) -> bool:
        """Whether this certificate already says what a new one would: same authority, same key,
        the same names, and not expiring within the margin."""
        now = datetime.datetime.now(datetime.UTC).timestamp()
        return (
            same_key(self.authority, authority_line)
            and same_key(self.host_key, host_key_line)
            and sorted(self.principals) == sorted(set(principals))
            and self.valid_after <= now
            and (self.valid_before == FOREVER or self.valid_before > now + margin_seconds)
        )


def read_certificate(line: str, source: str) -> CertificateInfo:
    """What a host certificate says, once its signature is checked."""
    try:
        certificate = load_ssh_public_identity(line.strip().encode())
    except (ValueError, TypeError) as exc:
        raise LandingzoneError(f"{source}: not an OpenSSH certificate: {exc}") from None
    if not isinstance(certificate, SSHCertificate) or certificate.type != SSHCertificateType.HOST:
        raise LandingzoneError(f"{source}: not an SSH host certificate")
    try:
        certificate.verify_cert_signature()
    except InvalidSignature:
        raise LandingzoneError(f"{source}: the certificate's signature does not verify") from None
    return CertificateInfo(
        key_id=certificate.key_id.decode(errors="replace"),
        principals=[name.decode(errors="replace") for name in certificate.valid_principals],
        valid_after=certificate.valid_after,
        valid_before=certificate.valid_before,
        host_key=public_line(certificate.public_key()),
        authority=public_line(certificate.signature_key()),
    )
