"""The fleet's certificate authority, kept in the fleet repository under the vault.

`<fleet>/pki/ca.crt` is public; the CA key exists on disk only as
`<fleet>/pki/ca.key.vault`, an ansible-vault encrypted file, and is decrypted
in memory to sign. Issued keys are stored the same way, so the whole directory
can be committed. Certificates serve backups, log forwarding, IPsec and the WinRM HTTPS
listeners of Windows hosts.
"""

import ipaddress
import re
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from landingzone.errors import LandingzoneError
from landingzone.pki import SERVER_AND_CLIENT, SERVER_ONLY, issue_certificate, key_pem, new_ca
from landingzone.runner.vault import decrypt, encrypt

PURPOSES = ("backup", "log", "ipsec", "winrm")
CERT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*$")
DNS_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_dns_name(text: str) -> bool:
    return len(text) <= 253 and not _is_ip(text) and all(DNS_LABEL.match(label) for label in text.split("."))


def subject_alt_names(name: str, purpose: str, sans: list[str]) -> list[str]:
    """The SANs of a certificate, checked. A WinRM listener's certificate names the host's DNS
    name (the name ansible_host gives and pywinrm checks) and, optionally, its IP addresses."""
    for san in sans:
        wildcard = purpose != "winrm" and san.startswith("*.")
        if not (_is_ip(san) or _is_dns_name(san[2:] if wildcard else san)):
            raise LandingzoneError(f"pki issue: --san: {san!r} is neither a DNS name nor an IP address")
    if purpose != "winrm":
        return sans or [name]
    if not _is_dns_name(name):
        raise LandingzoneError(
            f"pki issue: NAME: {name!r}: a WinRM certificate is issued to the host's DNS name "
            "(an IP address goes in --san)"
        )
    names = [san for san in sans if not _is_ip(san)]
    if any(san.lower() != name.lower() for san in names):
        raise LandingzoneError(
            f"pki issue: --san: a WinRM certificate names one host: {name} and its IP addresses, "
            f"not {', '.join(san for san in names if san.lower() != name.lower())}"
        )
    return [name, *dict.fromkeys(san for san in sans if _is_ip(san))]


class FleetCA:
    def __init__(self, fleet: Path):
        self.directory = fleet / "pki"
        self.cert_path = self.directory / "ca.crt"
        self.key_path = self.directory / "ca.key.vault"

    def exists(self) -> bool:
        return self.cert_path.exists() and self.key_path.exists()

    def init(self, common_name: str, password: str) -> Path:
        if self.cert_path.exists() or self.key_path.exists():
            raise LandingzoneError(f"{self.directory}: pki init: the fleet already has a CA; it is never replaced")
        # Path length 1: it signs the municipalities' own CAs (municipality_ca.py), and they sign hosts.
        return self._store(*new_ca(common_name, path_length=1), password)

    def _store(self, cert, key, password: str) -> Path:
        """The CA's certificate as it is, its key only under the vault."""
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_vaulted(self.key_path, key_pem(key), password)
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return self.cert_path

    def _signing_material(self, password: str):
        if not self.exists():
            raise LandingzoneError(f"{self.directory}: the fleet has no CA yet: run `landingzone pki init` first")
        ca_cert = x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        pem = decrypt(password, self.key_path.read_text(encoding="utf-8"), f"{self.key_path}")
        return ca_cert, serialization.load_pem_private_key(pem.encode(), password=None)

    def issue(self, name: str, purpose: str, sans: list[str], password: str) -> tuple[Path, Path]:
        """A certificate for one service endpoint; its key stored vault-encrypted beside it."""
        if purpose not in PURPOSES:
            raise LandingzoneError(f"pki issue: --purpose: {purpose!r} is not one of {', '.join(PURPOSES)}")
        if not CERT_NAME.match(name):
            raise LandingzoneError(f"pki issue: NAME: {name!r} is not a host or service name")
        out_dir = self.directory / purpose
        cert_path, key_path = out_dir / f"{name}.crt", out_dir / f"{name}.key.vault"
        if cert_path.exists():
            raise LandingzoneError(f"{cert_path}: pki issue: already issued; remove it first to issue anew")
        alt_names = subject_alt_names(name, purpose, sans)
        ca_cert, ca_key = self._signing_material(password)
        usages = SERVER_ONLY if purpose == "winrm" else SERVER_AND_CLIENT
        cert, key = issue_certificate(ca_cert, ca_key, name, alt_names, usages)
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_vaulted(key_path, key_pem(key), password)
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cert_path, key_path


def _write_vaulted(path: Path, plaintext: bytes, password: str) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(encrypt(password, plaintext.decode()) + "\n", encoding="utf-8")
