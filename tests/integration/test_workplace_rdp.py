"""A person logs in to a desk through the workplace's one gateway with a real RDP client
(FreeRDP under Xvfb), typing their password and TOTP code in the one password field, and
the session paints: its start shows the desk's name, a word new to this run and what the
person's own session can reach, as a QR code that must be read from the client's
screenshot (a blank screen fails). A name not on the roster, a wrong code and a direct
connection that bypasses the gateway get no session.

The municipality is the test's own: podman network lz-wprdp (10.231.84.0/24), a desk and a
gateway from the lab's desk image, and a host with two stand-in services."""

import secrets
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from lab_cli import BIN, ENV, ROOT, run

from landingzone.lab.desk_image import ensure_desk_image
from landingzone.workplace_login import RdpClient, log_in, totp_code

NETWORK, SUBNET = "lz-wprdp", "10.231.84.0/24"
DESK, DESK_ADDRESS = "wprdp-desk1", "10.231.84.11"
GATEWAY, GATEWAY_ADDRESS = "wprdp-gw1", "10.231.84.21"
SERVICE, SERVICE_ADDRESS = "wprdp-svc1", "10.231.84.31"
LAB_IMAGE = "localhost/landingzone-lab:bookworm"
# The scenario's roster and lab-only secrets: lmertens may open port 8443 of the service host, not 8444.
PEOPLE = yaml.safe_load((ROOT / "molecule" / "workplace" / "vars" / "workplace.yml").read_text(encoding="utf-8"))
NONCE_FILE = "/etc/landingzone-workplace/lab-nonce"
# The session start's addition for this test (a root file in session.d): what the person's own session
# reaches, and the nonce, as a QR code in a window of the desktop.
PAINT_HOOK = f"""#!/bin/sh
reach() {{ nc -z -w 3 {SERVICE_ADDRESS} "$1" && echo open || echo refused; }}
text="$(hostname) $(cat {NONCE_FILE}) in-roster=$(reach 8443) outside=$(reach 8444)"
qrencode -s 8 -m 4 -o "$HOME/.lab-nonce.png" "$text"
exec feh --geometry 520x520+200+120 "$HOME/.lab-nonce.png"
"""


def podman(*args: str, check: bool = True, input_text: str | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(["podman", *args], env=ENV, input=input_text, capture_output=True, text=True, check=False)
    assert not check or result.returncode == 0, f"podman {' '.join(args[:3])}: {result.stderr}"
    return result


def _remove_lab() -> None:
    for name in (DESK, GATEWAY, SERVICE):
        podman("rm", "-f", "-t", "0", name, check=False)
    podman("network", "rm", "-f", NETWORK, check=False)


def _start(name: str, image: str, address: str) -> None:
    podman(
        "run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, "--ip", address,
        "--systemd", "always", "--cap-add", "NET_ADMIN", image, "/lib/systemd/systemd",
    )  # fmt: skip


def _wait_booted(name: str) -> None:
    for _ in range(60):
        state = podman("exec", name, "systemctl", "is-system-running", check=False).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(1)
    pytest.fail(f"{name} did not boot: {state}")


def _inventory(directory: Path) -> Path:
    host_pki = {
        "workplace_lab_pki": str(directory / "pki"),
        "landingzone_ca_cert": "{{ lookup('ansible.builtin.file', workplace_lab_pki ~ '/ca.crt') }}",
        "landingzone_host_cert": "{{ lookup('ansible.builtin.file', workplace_lab_host ~ '.crt') }}",
        "landingzone_host_key": "{{ lookup('ansible.builtin.file', workplace_lab_host ~ '.key') }}",
        "workplace_lab_host": "{{ workplace_lab_pki }}/{{ inventory_hostname }}",
    }
    inventory = {
        "all": {
            "vars": {"ansible_connection": "containers.podman.podman", **host_pki},
            "children": {
                "workplace_desks": {"hosts": {DESK: {"workplace_address": DESK_ADDRESS}}},
                "workplace_gateways": {"hosts": {GATEWAY: {"workplace_address": GATEWAY_ADDRESS}}},
            },
        }
    }
    path = directory / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def workplace(tmp_path_factory):
    """The desk and its gateway, applied; the service host listening on 8443 and 8444."""
    directory = tmp_path_factory.mktemp("workplace-rdp")
    desk_image = ensure_desk_image(ROOT)
    _remove_lab()
    podman("network", "create", "--subnet", SUBNET, NETWORK)
    try:
        for name, image, address in (
            (DESK, desk_image, DESK_ADDRESS),
            (GATEWAY, desk_image, GATEWAY_ADDRESS),
            (SERVICE, LAB_IMAGE, SERVICE_ADDRESS),
        ):
            _start(name, image, address)
        for name in (DESK, GATEWAY, SERVICE):
            _wait_booted(name)
        for port in (8443, 8444):
            podman("exec", SERVICE, "systemd-run", "--unit", f"stand-in-{port}", "nc", "-lk", str(port))
        made = run([BIN / "python", "-m", "landingzone.pki", str(directory / "pki"), f"{DESK},{GATEWAY}"])
        assert made.returncode == 0, made.stderr
        variables = {
            **{key: value for key, value in PEOPLE.items()},
            "workplace_service_endpoints": {
                "bevolkingsregister": [{"address": SERVICE_ADDRESS, "port": 8443, "proto": "tcp"}],
                "website": [{"address": SERVICE_ADDRESS, "port": 8445, "proto": "tcp"}],
            },
            "workplace_tls_cert": "{{ landingzone_host_cert }}",
            "workplace_tls_key": "{{ landingzone_host_key }}",
        }
        variables_file = directory / "workplace.yml"
        variables_file.write_text(yaml.safe_dump(variables), encoding="utf-8")
        started = time.monotonic()
        applied = run(
            [BIN / "ansible-playbook", "-i", str(_inventory(directory)), "-e", f"@{variables_file}",
             str(ROOT / "tests" / "integration" / "workplace_rdp" / "site.yml")],
            timeout=1200,
        )  # fmt: skip
        print(f"workplace applied in {time.monotonic() - started:.0f} s")
        assert applied.returncode == 0, applied.stdout[-6000:] + applied.stderr[-3000:]
        yield directory
    finally:
        _remove_lab()


def rdp_client(directory: Path, user: str, password: str, target: str = GATEWAY_ADDRESS) -> RdpClient:
    return RdpClient(directory, user, password, target, env=ENV)


def connects(address: str, port: int) -> bool:
    try:
        socket.create_connection((address, port), timeout=3).close()
    except OSError:
        return False
    return True


def desk_processes(user: str) -> str:
    return podman("exec", DESK, "pgrep", "-a", "-u", user, check=False).stdout.strip()


@pytest.mark.lab
def test_a_person_logs_in_through_the_gateway_and_the_session_paints_what_it_may_reach(workplace):
    word = secrets.token_hex(8)
    podman("exec", "-i", DESK, "sh", "-c", f"cat > {NONCE_FILE}", input_text=word + "\n")
    podman("exec", "-i", DESK, "sh", "-c", "cat > /etc/landingzone-workplace/session.d/lab-paint.sh",
           input_text=PAINT_HOOK)  # fmt: skip
    person = "lmertens"
    result = log_in(
        workplace, GATEWAY_ADDRESS, person, PEOPLE["workplace_first_passwords"][person],
        PEOPLE["workplace_totp_secrets"][person], DESK, f"{DESK} {word} in-roster=open outside=refused", within=120,
    )  # fmt: skip
    print(f"session painted {result.seconds:.1f} s after the client started")
    assert result.logged_in, (
        f"{result.problem}: the session said {result.nonce_seen!r} (last screenshot {workplace / 'screen.xwd'})"
    )
    # What the drill's evidence gets from a login holds neither the password nor the code's secret.
    shown = repr(result.as_record())
    assert PEOPLE["workplace_first_passwords"][person] not in shown
    assert PEOPLE["workplace_totp_secrets"][person] not in shown


@pytest.mark.lab
def test_a_name_not_on_the_roster_is_refused_at_the_gateway(workplace):
    # operator has an account on the desk, but is not a person of the roster.
    client = rdp_client(workplace, "operator", "anything123456")
    try:
        client.rdp.wait(timeout=30)
    finally:
        output = client.close()
    assert client.rdp.returncode != 0, output
    assert not desk_processes("operator").count("Xvnc")


@pytest.mark.lab
def test_a_wrong_totp_code_gets_no_session(workplace):
    person = "svermeulen"
    secret = PEOPLE["workplace_totp_secrets"][person]
    wrong = totp_code(secret, time.time() + 900)
    client = rdp_client(workplace, person, PEOPLE["workplace_first_passwords"][person] + wrong)
    try:
        # The gateway lets the name through; xrdp refuses the login and keeps its own login screen.
        seen = client.wait_for_qr(within=25)
    finally:
        output = client.close()
    assert not seen, output
    assert "Xvnc" not in desk_processes(person), "a wrong code started a session"


@pytest.mark.lab
def test_the_desk_takes_rdp_from_the_gateway_only(workplace):
    # This machine is on the desks' network, but it is not the gateway.
    assert not connects(DESK_ADDRESS, 3389), "the desk took an RDP connection that did not come through the gateway"
    assert connects(GATEWAY_ADDRESS, 3389)
