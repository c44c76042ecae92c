"""Host keys are checked, against real sshd and real ssh in lab containers.

A lab municipality of three hosts: keys-app1 stays as the lab made it; keys-app2's host key
is replaced in place (a changed key); keys-app3 is replaced by a machine the lab never
certified, at the same address, that would accept the operator's key (an unknown host, an
impostor). An audit through the CLI stops at both before anything is sent, names them, and
finishes keys-app1. Then the attacker's neighbours, each tried over the run's own ssh
options: a certificate of the attacker's own CA, another host's key and certificate
replayed, an expired certificate and a revoked key. Then the hosts the lab rebuilds are
trusted again with no step by hand, and so are the empty hosts a drill starts, for their own names
alone: an impostor at a rebuilt host's address is refused.

The enrolment of a fleet's host from its console fingerprint, and again after a rebuild, is
the slow proof (`make test-slow`).
"""

import datetime
import json
import subprocess
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import SSHCertificateBuilder, SSHCertificateType
from lab_cli import ROOT, landingzone, podman

from landingzone.drill_plan import rebuilt_name
from landingzone.lab.drill_target import drill_targets
from landingzone.lab.host_certificates import AUTHORITY_FILE
from landingzone.lab.municipality_lab import ANNOUNCE_SCRIPT
from landingzone.runner.events import HOST_KEY_REFUSED
from landingzone.ssh_host_ca import (
    HOST_CERTIFICATE_PATH,
    HOST_KEY_PATH,
    SSHD_DROPIN_PATH,
    fingerprint,
    load_authority,
    new_authority,
    parse_public_key,
    sign_host_key,
)
from landingzone.ssh_trust import ssh_arguments

FIXTURES = ROOT / "tests" / "fixtures" / "fleet"
MUNICIPALITY = "lab-keys"
PASSWORD_FILE = FIXTURES / "vault-password"
STATE = ROOT / ".cache" / "lab" / MUNICIPALITY
KNOWN_HOSTS = FIXTURES / MUNICIPALITY / "known_hosts"
ADDRESSES = {"keys-app1": "10.231.76.11", "keys-app2": "10.231.76.12", "keys-app3": "10.231.76.13"}
IMAGE = "localhost/landingzone-lab:bookworm"
LAB_LABEL = "org.cyberveilig.landingzone.lab"
CHANGED, IMPOSTOR = "keys-app2", "keys-app3"
# A host of a fleet municipality, enrolled with `landingzone host-keys`.
FLEET_HOST, FLEET_ADDRESS = "keys-fleet1", "10.231.76.21"
HOST_KEY_PRIVATE = "/etc/ssh/ssh_host_ed25519_key"
# systemd refuses a fifth start of ssh within ten seconds (its StartLimitBurst), and the attacks below
# restart the impostor's sshd that often on a fast machine: each restart clears the count first.
RESTART_SSHD = "systemctl reset-failed ssh && systemctl restart ssh"
NEW_HOST_KEYS = (
    f"rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub && ssh-keygen -A >/dev/null && {RESTART_SSHD}"
)


def _accepted_logins(container: str) -> int:
    """Logins sshd accepted in the container, from its journal."""
    journal = podman("exec", container, "journalctl", "--no-pager", "-o", "cat", "-u", "ssh")
    return journal.count("Accepted publickey")


def _ssh(address: str, *extra: str, known_hosts: Path = KNOWN_HOSTS) -> subprocess.CompletedProcess:
    """`sudo -n true` as the operator, with the options a landingzone run gives ssh."""
    login = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-i", str(STATE / "operator_ed25519")]
    return subprocess.run(
        ["ssh", *ssh_arguments(known_hosts), *extra, *login, f"operator@{address}", "sudo", "-n", "true"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _wait_for_sshd(container: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = subprocess.run(
            ["podman", "exec", container, "systemctl", "is-active", "ssh"], capture_output=True, text=True
        )
        if done.stdout.strip() == "active":
            return
        time.sleep(0.5)
    raise AssertionError(f"sshd did not start in {container}")


def _start_machine(name: str, address: str) -> None:
    """A new machine from the lab image at this name and address, the operator's key
    authorised: everything a login needs, but no certificate of the lab."""
    podman("rm", "--force", "--ignore", "--time", "0", name)
    podman(
        "run", "--detach", "--name", name, "--hostname", name, "--network", f"lz-{MUNICIPALITY}",
        "--ip", address, "--systemd", "always", "--label", f"{LAB_LABEL}={MUNICIPALITY}", IMAGE,
    )  # fmt: skip
    _wait_for_sshd(name)
    # It announces its MAC at the address, as an impostor would (the lab does the same for its hosts).
    podman("exec", name, "sh", "-c", ANNOUNCE_SCRIPT)
    key = (STATE / "operator_ed25519.pub").read_text()
    podman(
        "exec", name, "sh", "-c",
        f"install -d -m 0700 -o operator -g operator /home/operator/.ssh && echo '{key.strip()}' > "
        "/home/operator/.ssh/authorized_keys && chown operator: /home/operator/.ssh/authorized_keys",
    )  # fmt: skip


def _start_impostor() -> None:
    _start_machine(IMPOSTOR, ADDRESSES[IMPOSTOR])


def _present(certificate: str, private_key: str | None = None, container: str = IMPOSTOR) -> None:
    """Make the container's sshd present this certificate (and this host key, when given)."""
    script = "set -e\n"
    if private_key:
        script += f"printf '%s\\n' '{private_key.strip()}' > /etc/ssh/ssh_host_ed25519_key\n"
        script += "ssh-keygen -y -f /etc/ssh/ssh_host_ed25519_key > /etc/ssh/ssh_host_ed25519_key.pub\n"
    script += (
        f"printf '%s\\n' '{certificate}' > {HOST_CERTIFICATE_PATH}\n"
        f"echo 'HostCertificate {HOST_CERTIFICATE_PATH}' > {SSHD_DROPIN_PATH}\n"
        f"{RESTART_SSHD}\n"
    )
    podman("exec", container, "sh", "-c", script)
    _wait_for_sshd(container)


@pytest.fixture(scope="module")
def lab():
    try:
        up = landingzone(FIXTURES, "lab", "up", MUNICIPALITY)
        assert up.returncode == 0, up.stdout + up.stderr
        yield
    finally:
        landingzone(FIXTURES, "lab", "down", MUNICIPALITY)
        podman("rm", "--force", "--ignore", "--time", "0", IMPOSTOR, FLEET_HOST)


@pytest.fixture
def fleet(tmp_path):
    (tmp_path / MUNICIPALITY).symlink_to(FIXTURES / MUNICIPALITY)
    return tmp_path


@pytest.mark.lab
def test_a_changed_key_and_an_unknown_host_stop_there_before_anything_is_sent(lab, fleet):
    # The lab's trust: its CA, and nothing else.
    assert "@cert-authority * ssh-ed25519 " in KNOWN_HOSTS.read_text()
    for address in ADDRESSES.values():
        assert _ssh(address).returncode == 0

    podman("exec", CHANGED, "sh", "-c", NEW_HOST_KEYS)
    _wait_for_sshd(CHANGED)
    _start_impostor()
    # Both would let the operator in if the key were not checked.
    loose = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    for host in (CHANGED, IMPOSTOR):
        assert subprocess.run(
            ["ssh", *loose, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-i", str(STATE / "operator_ed25519"),
             f"operator@{ADDRESSES[host]}", "true"],
            stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=60,
        ).returncode == 0  # fmt: skip
    logins_before = {host: _accepted_logins(host) for host in (CHANGED, IMPOSTOR)}

    result = landingzone(
        fleet, "--json", "audit", MUNICIPALITY, "--vault-password-file", str(PASSWORD_FILE)
    )  # fmt: skip

    assert result.returncode == 3, result.stdout + result.stderr
    (outcome,) = json.loads(result.stdout)["municipalities"]
    assert outcome["hosts"]["keys-app1"] == {"reachable": True, "failed": False, "message": ""}
    for host in (CHANGED, IMPOSTOR):
        state = outcome["hosts"][host]
        assert state["reachable"] is False
        assert state["message"].startswith(HOST_KEY_REFUSED), state
        assert "Host key verification failed" in state["message"]
    assert f"host key not trusted: {CHANGED}, {IMPOSTOR}" in outcome["message"]
    assert str(KNOWN_HOSTS.name) in outcome["message"]
    document = json.loads((Path(outcome["evidence_dir"]) / "results.json").read_text())
    assert {record["host"] for record in document["results"]} == {"keys-app1"}
    # Nothing was sent: neither sshd accepted a login, and no module ever landed there.
    for host in (CHANGED, IMPOSTOR):
        assert _accepted_logins(host) == logins_before[host], host
        assert podman("exec", host, "sh", "-c", "ls -A /home/operator/.ansible 2>/dev/null || true").strip() == ""


@pytest.mark.lab
def test_an_impostor_is_refused_whatever_certificate_it_shows(lab, tmp_path):
    if not podman("ps", "-q", "--filter", f"name=^{IMPOSTOR}$", "--filter", f"label={LAB_LABEL}"):
        _start_impostor()
    address = ADDRESSES[IMPOSTOR]
    impostor_key = podman("exec", IMPOSTOR, "cat", HOST_KEY_PATH).strip()
    names = [IMPOSTOR, address]
    lab_ca = load_authority((STATE / AUTHORITY_FILE).read_bytes(), "lab CA")

    # Its own CA's certificate, for the right names.
    _present(sign_host_key(new_authority(), impostor_key, names, "attacker"))
    refused = _ssh(address)
    assert refused.returncode == 255 and "Host key verification failed" in refused.stderr

    # A host of the municipality that the attacker holds: its key and certificate, replayed here.
    stolen_key = podman("exec", "keys-app1", "cat", "/etc/ssh/ssh_host_ed25519_key")
    stolen_certificate = podman("exec", "keys-app1", "cat", HOST_CERTIFICATE_PATH).strip()
    _present(stolen_certificate, stolen_key)
    refused = _ssh(address)
    assert refused.returncode == 255 and "Host key verification failed" in refused.stderr
    assert "not a listed principal" in refused.stderr

    # The lab CA's own certificate for this machine: expired, then revoked.
    impostor_key = podman("exec", IMPOSTOR, "sh", "-c", NEW_HOST_KEYS + f" && cat {HOST_KEY_PATH}").strip()
    expired = _expired_certificate(lab_ca, impostor_key, names)
    _present(expired)
    refused = _ssh(address)
    assert refused.returncode == 255 and "Host key verification failed" in refused.stderr

    good = sign_host_key(lab_ca, impostor_key, names, "good")
    _present(good)
    assert _ssh(address).returncode == 0  # the control: this very certificate is accepted...
    revoked = tmp_path / "known_hosts"
    revoked.write_text(KNOWN_HOSTS.read_text() + f"@revoked * {impostor_key}\n")
    refused = _ssh(address, known_hosts=revoked)
    assert refused.returncode == 255 and "revoked" in refused.stderr  # ...until its key is revoked


def _expired_certificate(authority, host_key: str, names: list[str]) -> str:
    """A certificate of the right authority for the right names, whose validity ended an hour ago."""
    now = int(datetime.datetime.now(datetime.UTC).timestamp())
    certificate = (
        SSHCertificateBuilder()
        .public_key(parse_public_key(host_key, "impostor"))
        .serial(1)
        .type(SSHCertificateType.HOST)
        .key_id(b"expired")
        .valid_principals([name.encode() for name in names])
        .valid_after(now - 7200)
        .valid_before(now - 3600)
        .sign(authority)
    )
    return certificate.public_bytes().decode()


@pytest.mark.lab
def test_hosts_the_lab_rebuilds_are_trusted_with_no_step_by_hand(lab):
    before = podman("exec", CHANGED, "cat", HOST_KEY_PATH)
    podman("rm", "--force", "--ignore", "--time", "0", CHANGED, IMPOSTOR)
    up = landingzone(FIXTURES, "lab", "up", MUNICIPALITY)
    assert up.returncode == 0, up.stdout + up.stderr
    assert fingerprint(podman("exec", CHANGED, "cat", HOST_KEY_PATH)) != fingerprint(before)

    # With the options a run gives ssh, by address and by the name a run uses (the lab's ssh_config).
    for host in (CHANGED, IMPOSTOR):
        for target in (ADDRESSES[host], host):
            login = _ssh(target, "-F", str(STATE / "ssh_config"))
            assert login.returncode == 0, (target, login.stderr)


DRILL_IMPOSTOR = "keys-drill-impostor"


def _principals(container: str) -> list[str]:
    shown = podman("exec", container, "ssh-keygen", "-L", "-f", HOST_CERTIFICATE_PATH)
    return shown[shown.index("Principals:") + len("Principals:") : shown.index("Critical Options:")].split()


@pytest.mark.lab
def test_hosts_a_drill_rebuilds_are_trusted_for_their_own_names_alone(lab, fleet):
    """The empty hosts `drill --all` starts at once: new host keys, each certified by the lab for the
    rebuilt host's own name and address, trusted by a run with no step by hand, each resolving the
    others by name. A machine at a rebuilt host's address is refused with its own key, with the key
    and certificate of the host the rebuilt one stands in for, and with those of another rebuilt host."""
    wanted = [(rebuilt_name(MUNICIPALITY, source), source) for source in ("keys-app1", "keys-app2")]
    try:
        with drill_targets(ROOT, fleet, MUNICIPALITY, wanted) as (first, second):
            for target in (first, second):
                assert _principals(target.name) == [target.name, target.address]
                for login in (target.address, target.name):
                    assert _ssh(login, "-F", str(STATE / "ssh_config")).returncode == 0, login
            assert podman("exec", second.name, "getent", "hosts", first.name).split()[0] == first.address

            stolen = (
                podman("exec", "keys-app1", "cat", HOST_KEY_PRIVATE),
                podman("exec", "keys-app1", "cat", HOST_CERTIFICATE_PATH),
            )
            sibling = (
                podman("exec", first.name, "cat", HOST_KEY_PRIVATE),
                podman("exec", first.name, "cat", HOST_CERTIFICATE_PATH),
            )
            podman("rm", "--force", "--time", "0", second.name)  # its address is free for the impostor
            _start_machine(DRILL_IMPOSTOR, second.address)
            refused = _ssh(second.address)
            assert refused.returncode == 255 and "Host key verification failed" in refused.stderr, refused.stderr
            for key, certificate in (stolen, sibling):
                _present(certificate.strip(), key, DRILL_IMPOSTOR)
                for login in (second.address, second.name):
                    refused = _ssh(login, "-F", str(STATE / "ssh_config"))
                    assert refused.returncode == 255 and "not a listed principal" in refused.stderr, refused.stderr
    finally:
        podman("rm", "--force", "--ignore", "--time", "0", DRILL_IMPOSTOR)
    # Every rebuilt host is gone with its ssh_config entry; the lab's own hosts run on.
    assert podman("ps", "-a", "-q", "--filter", f"name={MUNICIPALITY}-drill-") == ""
    assert "-drill-" not in (STATE / "ssh_config").read_text()
    assert _ssh(ADDRESSES["keys-app1"]).returncode == 0


def _fleet_municipality(fleet: Path) -> Path:
    hosts = {
        "gent-app1": {
            "ansible_host": FLEET_ADDRESS,
            "ansible_user": "operator",
            "ansible_become": True,
            "ansible_ssh_private_key_file": str(STATE / "operator_ed25519"),
            "ansible_python_interpreter": "/usr/bin/python3",
        }
    }
    (fleet / "gent").mkdir(parents=True)
    (fleet / "gent" / "hosts.yml").write_text(json.dumps({"all": {"hosts": hosts}}))
    return fleet / "gent" / "known_hosts"


@pytest.mark.lab
@pytest.mark.slow
def test_a_fleet_host_is_enrolled_from_its_console_fingerprint_and_re_enrolled_after_a_rebuild(lab, tmp_path):
    fleet = tmp_path / "fleet"
    known_hosts = _fleet_municipality(fleet)
    _start_machine(FLEET_HOST, FLEET_ADDRESS)
    host_keys = ["host-keys", "--vault-password-file", str(PASSWORD_FILE)]

    assert landingzone(fleet, *host_keys, "init", "gent").returncode == 0
    assert "Host key verification failed" in _ssh(FLEET_ADDRESS, known_hosts=known_hosts).stderr  # not yet enrolled

    # A fingerprint that is not the host's (the operator read another console, or someone sits in between).
    wrong = fingerprint(podman("exec", "keys-app1", "cat", HOST_KEY_PATH))
    refused = landingzone(fleet, *host_keys, "enroll", "gent", "gent-app1", "--fingerprint", wrong)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert f"not the {wrong} you read on its console: nothing was signed or sent" in refused.stderr
    assert podman("exec", FLEET_HOST, "sh", "-c", f"test -e {HOST_CERTIFICATE_PATH} || echo none").strip() == "none"

    # The console shows the host's own fingerprint.
    console = fingerprint(podman("exec", FLEET_HOST, "cat", HOST_KEY_PATH))
    enrolled = landingzone(fleet, "--json", *host_keys, "enroll", "gent", "gent-app1", "--fingerprint", console)
    assert enrolled.returncode == 0, enrolled.stdout + enrolled.stderr
    assert json.loads(enrolled.stdout)["names"] == ["gent-app1", FLEET_ADDRESS]
    assert _ssh(FLEET_ADDRESS, known_hosts=known_hosts).returncode == 0
    old_key = podman("exec", FLEET_HOST, "cat", "/etc/ssh/ssh_host_ed25519_key")
    old_fingerprint = console
    old_certificate = podman("exec", FLEET_HOST, "cat", HOST_CERTIFICATE_PATH).strip()

    # Rebuilt: a new key. Refused until it is enrolled; then the old key is revoked.
    podman("exec", FLEET_HOST, "sh", "-c", NEW_HOST_KEYS)
    _wait_for_sshd(FLEET_HOST)
    assert "Host key verification failed" in _ssh(FLEET_ADDRESS, known_hosts=known_hosts).stderr
    console = fingerprint(podman("exec", FLEET_HOST, "cat", HOST_KEY_PATH))
    again = landingzone(fleet, "--json", *host_keys, "enroll", "gent", "gent-app1", "--fingerprint", console)
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["revoked"] == old_fingerprint
    assert _ssh(FLEET_ADDRESS, known_hosts=known_hosts).returncode == 0

    # Whoever kept the old machine's key and certificate cannot pose as the new one.
    _present(old_certificate, old_key, container=FLEET_HOST)
    refused = _ssh(FLEET_ADDRESS, known_hosts=known_hosts)
    assert refused.returncode == 255 and "revoked" in refused.stderr

    shown = json.loads(landingzone(fleet, "--json", "host-keys", "show", "gent").stdout)
    assert [host["key"] for host in shown["hosts"]] == [console]
    assert [key["fingerprint"] for key in shown["revoked"]] == [old_fingerprint]
