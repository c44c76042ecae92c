"""SSH host certificates made in memory, read back by OpenSSH's own ssh-keygen."""

import base64
import datetime
import subprocess
from pathlib import Path

import pytest

from landingzone.errors import LandingzoneError
from landingzone.ssh_host_ca import (
    fingerprint,
    load_authority,
    new_authority,
    private_key_bytes,
    public_line,
    read_certificate,
    sign_host_key,
)


def _host_key(directory: Path, name: str = "host") -> str:
    path = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{name}", "-f", path], check=True)
    return path.with_suffix(".pub").read_text().strip()


def _ssh_keygen(*args) -> str:
    return subprocess.run(["ssh-keygen", *args], capture_output=True, text=True, check=True).stdout


def test_a_host_certificate_names_exactly_its_host_and_its_authority(tmp_path):
    authority = new_authority()
    host_key = _host_key(tmp_path)
    certificate = sign_host_key(authority, host_key, ["gent-app1", "10.0.0.11"], "gent/gent-app1")
    (tmp_path / "cert.pub").write_text(certificate + "\n")
    shown = _ssh_keygen("-L", "-f", str(tmp_path / "cert.pub"))
    assert "ssh-ed25519-cert-v01@openssh.com host certificate" in shown
    assert f"Signing CA: ED25519 {fingerprint(public_line(authority))}" in shown
    assert f"Public key: ED25519-CERT {fingerprint(host_key)}" in shown
    assert 'Key ID: "gent/gent-app1"' in shown
    assert "Valid: forever" in shown
    principals = shown.split("Principals:")[1].split("Critical Options:")[0].split()
    assert principals == ["gent-app1", "10.0.0.11"]


def test_a_lifetime_bounds_the_certificate(tmp_path):
    certificate = sign_host_key(new_authority(), _host_key(tmp_path), ["t"], "t", datetime.timedelta(days=1))
    info = read_certificate(certificate, "test")
    now = datetime.datetime.now(datetime.UTC).timestamp()
    assert info.valid_after <= now - 60
    assert abs(info.valid_before - (now + 86400)) < 60
    assert info.expires.startswith(datetime.datetime.fromtimestamp(info.valid_before, datetime.UTC).date().isoformat())


def test_the_fingerprint_is_the_one_ssh_keygen_prints(tmp_path):
    host_key = _host_key(tmp_path)
    assert _ssh_keygen("-l", "-f", str(tmp_path / "host.pub")).split()[1] == fingerprint(host_key)


def test_the_authority_key_survives_its_file_and_only_ed25519_is_taken(tmp_path):
    authority = new_authority()
    assert public_line(load_authority(private_key_bytes(authority), "ca")) == public_line(authority)
    subprocess.run(["ssh-keygen", "-q", "-t", "ecdsa", "-N", "", "-f", tmp_path / "ecdsa"], check=True)
    with pytest.raises(LandingzoneError, match=r"ecdsa: an SSH host CA key must be ed25519"):
        load_authority((tmp_path / "ecdsa").read_bytes(), str(tmp_path / "ecdsa"))
    with pytest.raises(LandingzoneError, match=r"garbage: not an OpenSSH private key"):
        load_authority(b"not a key", "garbage")


@pytest.mark.parametrize("principals", [[], [""], ["gent-app1 gent-app2"], ["gent-app1,gent-app2"]])
def test_a_certificate_names_hosts_one_by_one(tmp_path, principals):
    with pytest.raises(LandingzoneError, match=r"host: the certificate's names must be non-empty"):
        sign_host_key(new_authority(), _host_key(tmp_path), principals, "x", source="host")


def test_a_user_certificate_or_a_tampered_one_is_not_read_as_a_host_certificate(tmp_path):
    authority = new_authority()
    (tmp_path / "ca").write_bytes(private_key_bytes(authority))
    (tmp_path / "ca").chmod(0o600)
    _host_key(tmp_path, "user")
    _ssh_keygen("-q", "-s", str(tmp_path / "ca"), "-I", "someone", "-n", "operator", str(tmp_path / "user.pub"))
    with pytest.raises(LandingzoneError, match=r"user-cert: not an SSH host certificate"):
        read_certificate((tmp_path / "user-cert.pub").read_text(), "user-cert")

    certificate = sign_host_key(authority, _host_key(tmp_path), ["gent-app1"], "gent/gent-app1")
    kind, blob, *_ = certificate.split()
    # Another host's name in place of gent-app1, same length: the signature no longer holds.
    forged = base64.b64encode(base64.b64decode(blob).replace(b"gent-app1", b"gent-app2")).decode()
    with pytest.raises(LandingzoneError, match=r"forged: the certificate's signature does not verify"):
        read_certificate(f"{kind} {forged}", "forged")


def test_a_certificate_in_place_is_kept_only_while_it_says_what_a_new_one_would(tmp_path):
    authority, other = new_authority(), new_authority()
    host_key, new_key = _host_key(tmp_path, "old"), _host_key(tmp_path, "new")
    info = read_certificate(sign_host_key(authority, host_key, ["a", "10.0.0.1"], "a"), "a")
    margin = 3600
    assert info.valid_for(public_line(authority), host_key, ["10.0.0.1", "a"], margin)
    assert not info.valid_for(public_line(other), host_key, ["a", "10.0.0.1"], margin)
    assert not info.valid_for(public_line(authority), new_key, ["a", "10.0.0.1"], margin)
    assert not info.valid_for(public_line(authority), host_key, ["a", "10.0.0.1", "b"], margin)
    assert not info.valid_for(public_line(authority), host_key, ["a"], margin)
    short = read_certificate(sign_host_key(authority, host_key, ["a"], "a", datetime.timedelta(minutes=30)), "a")
    assert not short.valid_for(public_line(authority), host_key, ["a"], margin)
