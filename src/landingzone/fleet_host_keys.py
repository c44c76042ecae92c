"""A fleet municipality's SSH host CA and the hosts it vouches for, kept in the fleet repository.

    <fleet>/pki/ssh/<municipality>/ca.pub               the CA's public key
    <fleet>/pki/ssh/<municipality>/ca.key.vault         its private key, only ansible-vault encrypted
    <fleet>/pki/ssh/<municipality>/hosts/<host>-cert.pub each enrolled host's certificate
    <fleet>/<municipality>/known_hosts                  what runs trust: the CA, and the revoked keys

A host is enrolled once, with a key the operator knows from outside the network: its
fingerprint read on the host's console (or the public key its installer recorded). The
CLI fetches the key the host presents, compares, signs it for the host's inventory name
and address, and puts the certificate in place over a connection pinned to that very key.
Enrolling a host again (it was rebuilt, its key is new) revokes the key certified before,
so a copy of the old key stolen from the old machine cannot pose as the new one.
"""

import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from landingzone.errors import LandingzoneError
from landingzone.inventory import host_vars, municipality_dir, problem
from landingzone.runner.environment import clean_environment
from landingzone.runner.job import FleetSettings, job_environment
from landingzone.runner.ssh_args import connection_extra_vars
from landingzone.runner.ssh_masters import run_masters
from landingzone.runner.vault import decrypt, encrypt, password_file_for_jobs, vault_id_argument
from landingzone.ssh_host_ca import (
    HOST_CERTIFICATE_PATH,
    SSHD_DROPIN_PATH,
    fingerprint,
    load_authority,
    new_authority,
    private_key_bytes,
    public_line,
    read_certificate,
    same_key,
    sign_host_key,
)
from landingzone.ssh_trust import known_hosts_of, known_hosts_text, write_atomically

FINGERPRINT = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")
KEYSCAN_TIMEOUT = 10
# sshd re-executes itself on a reload and listens again a moment later: how long enroll
# waits for it to present the new certificate.
RELOAD_TIMEOUT = 30


@dataclass(frozen=True)
class Endpoint:
    """Where the host's sshd listens, as its inventory says."""

    address: str
    port: int


class MunicipalitySshCA:
    def __init__(self, fleet: Path, municipality: str):
        self.municipality = municipality
        self.inventory_dir = municipality_dir(fleet, municipality)
        self.directory = fleet / "pki" / "ssh" / municipality
        self.public_path = self.directory / "ca.pub"
        self.key_path = self.directory / "ca.key.vault"
        self.hosts_dir = self.directory / "hosts"
        self.known_hosts = known_hosts_of(self.inventory_dir)

    def exists(self) -> bool:
        return self.public_path.exists() and self.key_path.exists()

    def init(self, password: str) -> None:
        if self.public_path.exists() or self.key_path.exists():
            raise LandingzoneError(f"{self.directory}: host-keys init: {self.municipality} has an SSH host CA already")
        if self.known_hosts.exists():
            raise LandingzoneError(f"{self.known_hosts}: host-keys init: exists already; it is never replaced")
        authority = new_authority()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.key_path.touch(mode=0o600)
        self.key_path.write_text(encrypt(password, private_key_bytes(authority).decode()) + "\n", encoding="utf-8")
        comment = f"landingzone SSH host CA {self.municipality}"
        self.public_path.write_text(public_line(authority, comment) + "\n", encoding="utf-8")
        header = (
            f"What runs trust for {self.municipality}: the hosts its SSH host CA certified, and no revoked key.\n"
            "Written by `landingzone host-keys`; review its changes as you review code."
        )
        write_atomically(self.known_hosts, known_hosts_text(header, public_line(authority, comment)))

    def authority(self, password: str):
        if not self.exists():
            raise LandingzoneError(
                f"{self.directory}: {self.municipality} has no SSH host CA: run `landingzone host-keys init "
                f"{self.municipality}` first"
            )
        pem = decrypt(password, self.key_path.read_text(encoding="utf-8"), str(self.key_path))
        return load_authority(pem.encode(), str(self.key_path))

    def certificate_path(self, host: str) -> Path:
        return self.hosts_dir / f"{host}-cert.pub"

    def revoke_key(self, key_line: str, note: str) -> bool:
        """Add the key to known_hosts as revoked, once. True when it was not revoked before."""
        text = self.known_hosts.read_text(encoding="utf-8")
        revoked = [line.split(None, 2)[2] for line in text.splitlines() if line.startswith("@revoked ")]
        if any(same_key(line, key_line) for line in revoked):
            return False
        kind, blob = key_line.split()[:2]
        write_atomically(self.known_hosts, text.rstrip("\n") + f"\n@revoked * {kind} {blob} {note}\n")
        return True

    def record(self, host: str, certificate: str) -> str | None:
        """Keep the host's new certificate; the key certified before, now revoked, if any."""
        path = self.certificate_path(host)
        old = path.read_text(encoding="utf-8").strip() if path.exists() else ""
        replaced = None
        if old:
            old_key = read_certificate(old, str(path)).host_key
            if not same_key(old_key, read_certificate(certificate, host).host_key):
                self.revoke_key(old_key, f"{host} re-enrolled {_today()}")
                replaced = old_key
        self.hosts_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(path, certificate + "\n")
        return replaced

    def revoke(self, host: str) -> str:
        path = self.certificate_path(host)
        if not path.exists():
            raise LandingzoneError(f"{path}: host-keys revoke: {host} has no certificate of {self.municipality}")
        key = read_certificate(path.read_text(encoding="utf-8"), str(path)).host_key
        self.revoke_key(key, f"{host} revoked {_today()}")
        path.unlink()
        return key

    def show(self) -> dict:
        """What the municipality's runs trust, read from its known_hosts and certificates."""
        if not self.known_hosts.exists():
            return {
                "known_hosts": str(self.known_hosts),
                "exists": False,
                "authorities": [],
                "hosts": [],
                "revoked": [],
            }
        authorities, revoked = [], []
        for line in self.known_hosts.read_text(encoding="utf-8").splitlines():
            marker, _, rest = line.partition(" ")
            if marker in ("@cert-authority", "@revoked"):
                key = rest.split(None, 1)[1]
                entry = {"fingerprint": fingerprint(key), "comment": " ".join(key.split()[2:])}
                (authorities if marker == "@cert-authority" else revoked).append(entry)
        hosts = []
        for path in sorted(self.hosts_dir.glob("*-cert.pub")) if self.hosts_dir.is_dir() else []:
            info = read_certificate(path.read_text(encoding="utf-8"), str(path))
            hosts.append(
                {
                    "host": path.name.removesuffix("-cert.pub"),
                    "key": fingerprint(info.host_key),
                    "names": info.principals,
                    "expires": info.expires,
                    "authority": fingerprint(info.authority),
                }
            )
        return {
            "known_hosts": str(self.known_hosts),
            "exists": True,
            "authorities": authorities,
            "hosts": hosts,
            "revoked": revoked,
        }


def _today() -> str:
    return datetime.date.today().isoformat()


def endpoint(hosts_file: Path, host: str, address: str | None) -> Endpoint:
    """The host's address and port from its inventory (or --address), taken literally."""
    variables = host_vars(hosts_file)
    if host not in variables:
        raise LandingzoneError(f"{hosts_file}: host-keys: {host!r} is not a host of this inventory")
    hv = variables[host]
    where = address or str(hv.get("ansible_host") or host)
    port = hv.get("ansible_port", 22)
    for field, value in (("ansible_host", where), ("ansible_port", port)):
        if "{{" in str(value) or "{%" in str(value):
            raise LandingzoneError(
                f"{hosts_file}: {host}.{field}: is a template, which host-keys does not evaluate: give --address"
            )
    try:
        return Endpoint(where, int(port))
    except ValueError:
        raise LandingzoneError(f"{hosts_file}: {host}.ansible_port: {port!r} is not a port number") from None


def presented_key(point: Endpoint, certificates: bool = False) -> list[str]:
    """The ed25519 host keys (or certificates) the host presents; nothing is sent but ssh's greeting."""
    command = ["ssh-keyscan", "-T", str(KEYSCAN_TIMEOUT), "-t", "ed25519", "-p", str(point.port)]
    done = subprocess.run(
        [*command, *(["-c"] if certificates else []), point.address],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=KEYSCAN_TIMEOUT * 3,
        check=False,
    )
    return [key_of_scanned_line(line) for line in done.stdout.splitlines() if line and not line.startswith("#")]


def key_of_scanned_line(line: str) -> str:
    """The type and key of a line of ssh-keyscan, which puts the host before a plain key but
    not before a certificate (-c)."""
    fields = line.split()
    start = 0 if fields[0].startswith(("ssh-", "ecdsa-", "sk-")) else 1
    return " ".join(fields[start : start + 2])


def presents(point: Endpoint, certificate: str, timeout: float = RELOAD_TIMEOUT) -> bool:
    """Whether sshd presents this certificate, once it answers again after its reload."""
    deadline = time.monotonic() + timeout
    while True:
        if any(same_key(line, certificate) for line in presented_key(point, certificates=True)):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(1)


def enrolled_key(host: str, point: Endpoint, expected_fingerprint: str | None, public_key_file: Path | None) -> str:
    """The key to certify: the one the operator gave, or the one the host presents if its
    fingerprint is the one the operator read on the host's console."""
    if public_key_file is not None:
        try:
            key = public_key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise LandingzoneError(f"{public_key_file}: --public-key: {exc.strerror}") from None
        if not key.startswith("ssh-ed25519 "):
            raise LandingzoneError(f"{public_key_file}: --public-key: not an ed25519 public key line")
        return key
    if not expected_fingerprint or not FINGERPRINT.match(expected_fingerprint):
        raise LandingzoneError(
            "--fingerprint: give the host's ed25519 key fingerprint as read on its console "
            "(`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`), e.g. SHA256:<43 characters>"
        )
    keys = presented_key(point)
    if not keys:
        raise LandingzoneError(f"{host}: no ed25519 host key answered at {point.address}:{point.port}", exit_code=3)
    matching = [key for key in keys if fingerprint(key) == expected_fingerprint]
    if not matching:
        raise LandingzoneError(
            f"{host}: the key at {point.address}:{point.port} is {fingerprint(keys[0])}, not the "
            f"{expected_fingerprint} you read on its console: nothing was signed or sent",
            exit_code=3,
        )
    return matching[0]


def install_certificate(
    root: Path, fleet: Path, ca: MunicipalitySshCA, host: str, key: str, certificate: str, password
):
    """playbooks/host_certificate.yml on the one host, its connection pinned to `key`."""
    with tempfile.TemporaryDirectory(prefix="landingzone-enroll-") as scratch, run_masters() as masters:
        pinned = Path(scratch) / "known_hosts"
        pinned.write_text(f"* {' '.join(key.split()[:2])}\n", encoding="utf-8")
        variables = Path(scratch) / "certificate.json"
        variables.write_text(
            json.dumps(
                {
                    "host_certificate": {
                        "content": certificate,
                        "path": HOST_CERTIFICATE_PATH,
                        "sshd_dropin": SSHD_DROPIN_PATH,
                    }
                }
            ),
            encoding="utf-8",
        )
        with password_file_for_jobs(password) as password_file:
            settings = FleetSettings(root=root, fleet=fleet, vault_password_file=password_file)
            command = [
                str(Path(sys.executable).with_name("ansible-playbook")),
                "-i", str(ca.inventory_dir / "hosts.yml"),
                "--limit", host,
                "-e", f"@{variables}",
                "-e", connection_extra_vars(root / "ansible.cfg", pinned, masters),
                *(["--vault-id", vault_id_argument()] if password_file else []),
                str(root / "playbooks" / "host_certificate.yml"),
            ]  # fmt: skip
            done = subprocess.run(
                command,
                cwd=root,
                env=clean_environment({}, os.environ, job_environment(settings)),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
    if done.returncode != 0:
        tail = " ".join(done.stdout.split()[-60:]) or problem(done)
        raise LandingzoneError(f"{host}: the certificate could not be put in place: {tail}", exit_code=3)


def enroll(
    root: Path,
    fleet: Path,
    municipality: str,
    host: str,
    password: str,
    expected_fingerprint: str | None = None,
    public_key_file: Path | None = None,
    address: str | None = None,
) -> dict:
    ca = MunicipalitySshCA(fleet, municipality)
    authority = ca.authority(password)
    point = endpoint(ca.inventory_dir / "hosts.yml", host, address)
    key = enrolled_key(host, point, expected_fingerprint, public_key_file)
    names = list(dict.fromkeys([host, point.address]))
    certificate = sign_host_key(authority, key, names, f"{municipality}/{host}", source=host)
    install_certificate(root, fleet, ca, host, key, certificate, password)
    if not presents(point, certificate):
        raise LandingzoneError(
            f"{host}: sshd at {point.address}:{point.port} does not present the new certificate after a reload",
            exit_code=3,
        )
    replaced = ca.record(host, certificate)
    return {
        "host": host,
        "key": fingerprint(key),
        "names": names,
        "certificate": str(ca.certificate_path(host)),
        "revoked": fingerprint(replaced) if replaced else None,
    }
