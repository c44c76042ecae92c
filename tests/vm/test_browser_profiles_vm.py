"""The browser way in confined on a real kernel: the gateway's nginx and the desk's websockify, each in
its AppArmor profile in enforce mode (make test-slow; a VM of its own).

The VM is both ends (playbooks/workplace_browser.yml): a desk's websockify as the workplace role's
browser tasks leave it, confined by that role's own AppArmor tasks, and the workplace_gateway role
with the browser way in open, as an operator applies it, its one desk this VM's websockify on the
loopback. Packages come from the controller (local_packages.py). Xvnc is a stand-in that greets
as an RFB server does, which is all websockify passes on. Through both profiles a roster person's
client certificate gets noVNC's page and, over the WebSocket, their desktop's greeting; a
certificate of no roster person gets 403; the flow and a reload log no denial; aa-status and the
roles' evidence say both services are confined; and each profile refuses, logged in its name, a
file its service must never read (the SSH host key; a person's TOTP secret and home) and a shell.
"""

from __future__ import annotations

import shlex

import local_packages
import pytest
import yaml
from apparmor_vm import (
    assert_denied_and_logged,
    assert_enforced,
    assert_runs_no_shell,
    denials,
    main_pid,
    record_aa_status,
    unit_labels,
)
from backup_vm import put_in_place, sh
from lab_vm import PLAYBOOKS, ROOT
from role_render import render

from landingzone.pki import CertificateAuthority

pytestmark = [pytest.mark.vm, pytest.mark.slow]
NGINX = ("landingzone-workplace-nginx", "nginx.service")
WEBSOCKIFY = ("landingzone-workplace-websockify", "workplace-websockify.service")
EVIDENCE_TASKS = {
    NGINX: "Record whether nginx runs in its AppArmor profile, in enforce mode",
    WEBSOCKIFY: "Record whether websockify runs in its AppArmor profile, in enforce mode",
}
# Both people on the one desk; anna's desktop is the first display (the workplace role's base, 50).
ROSTER = [{"name": "anna"}, {"name": "bert"}]
DESK = "desk1"
ANNAS_RFB_PORT = 5950
GATEWAY = "gateway"
CLIENT_DIR = "/root/lz-browser"
CLIENT = "/usr/local/lib/lz-browser-client.py"
STANDIN = "/usr/local/lib/lz-xvnc-standin.py"
DESK_DIR = "/etc/landingzone-workplace/websockify"
SSH_HOST_KEY = "/etc/ssh/ssh_host_ed25519_key"
TOTP_SECRET = "/var/lib/landingzone-workplace/totp/anna"
HOME_FILE = "/home/anna/notes.txt"

# An RFB server's first words, to every connection.
STANDIN_SCRIPT = """\
import socket, sys
listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
while True:
    connection, _ = listener.accept()
    connection.sendall(b"RFB 003.008\\n")
    connection.recv(64)
    connection.close()
"""
# A browser: TLS to the gateway (checked against the municipality's CA), a client certificate when
# given (PREFIX.crt and PREFIX.key, or "-"), one GET. Prints the response's head and its body, or for
# the WebSocket the first frame's opcode byte and payload.
CLIENT_SCRIPT = """\
import base64, os, socket, ssl, sys
ca, who, path = sys.argv[1:4]
context = ssl.create_default_context(cafile=ca)
if who != "-":
    context.load_cert_chain(who + ".crt", who + ".key")
headers = "Host: gateway\\r\\n"
if path == "/websockify":
    key = base64.b64encode(os.urandom(16)).decode()
    headers += ("Upgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Version: 13\\r\\n"
                "Sec-WebSocket-Protocol: binary\\r\\nSec-WebSocket-Key: " + key + "\\r\\n")
else:
    headers += "Connection: close\\r\\n"
with socket.create_connection(("127.0.0.1", 443), 10) as raw:
    with context.wrap_socket(raw, server_hostname="gateway") as tls:
        tls.sendall(("GET " + path + " HTTP/1.1\\r\\n" + headers + "\\r\\n").encode())
        received = b""
        while b"\\r\\n\\r\\n" not in received:
            chunk = tls.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, body = received.partition(b"\\r\\n\\r\\n")
        print(head.decode(errors="replace"))
        if head.startswith(b"HTTP/1.1 101"):
            while len(body) < 2 or len(body) < 2 + (body[1] & 0x7F):
                body += tls.recv(65536)
            print("frame", body[0], body[2 : 2 + (body[1] & 0x7F)].decode(errors="replace").strip())
        else:
            while chunk := tls.recv(65536):
                body += chunk
            print(body.decode(errors="replace"))
"""


def role_packages() -> list[str]:
    """What the two roles install for the browser way in (and HAProxy, which the gateway role always runs)."""
    gateway = yaml.safe_load((ROOT / "roles" / "workplace_gateway" / "defaults" / "main.yml").read_text())
    desk = yaml.safe_load((ROOT / "roles" / "workplace" / "defaults" / "main.yml").read_text())
    return sorted(
        {
            *gateway["workplace_gateway_packages"],
            *gateway["workplace_gateway_browser_packages"],
            *desk["workplace_browser_packages"],
        }
    )


def pki(directory) -> dict[str, str]:
    """The municipality's CA (the gateway's and the desk's certificates) and the people's (anna, a
    roster person; mallory, who is not on the roster)."""
    municipality = CertificateAuthority(directory / "municipality").ensure("municipality test CA")
    people = CertificateAuthority(directory / "people").ensure("people test CA")
    found = {"municipality.crt": municipality.cert_path.read_text(), "people.crt": people.cert_path.read_text()}
    for authority, name in ((municipality, GATEWAY), (municipality, DESK), (people, "anna"), (people, "mallory")):
        cert, key = authority.issue(name, [name])
        found[f"{name}.crt"], found[f"{name}.key"] = cert.read_text(), key.read_text()
    return found


def desk_files(material: dict[str, str]) -> list[dict]:
    """The websockify files the workplace role's browser tasks write, rendered from its templates."""
    return [
        {
            "dest": "/etc/systemd/system/workplace-websockify.service",
            "content": render("workplace", "workplace-websockify.service.j2"),
            "owner": "root",
            "mode": "0644",
        },
        {
            "dest": f"{DESK_DIR}/tokens",
            "content": render("workplace", "websockify-tokens.j2", workplace_roster=ROSTER),
            "owner": "root",
            "mode": "0644",
        },
        {"dest": f"{DESK_DIR}/cert.pem", "content": material[f"{DESK}.crt"], "owner": "lz-websockify", "mode": "0644"},
        {"dest": f"{DESK_DIR}/key.pem", "content": material[f"{DESK}.key"], "owner": "lz-websockify", "mode": "0600"},
    ]


@pytest.fixture(scope="module")
def applied(lab_vm):
    """Both ends set up on the module's VM; the run of the playbook."""
    material = pki(lab_vm.workdir / "browser-pki")
    found = {
        CLIENT: (CLIENT_SCRIPT.encode(), 0o755),
        STANDIN: (STANDIN_SCRIPT.encode(), 0o755),
        f"{CLIENT_DIR}/municipality.crt": (material["municipality.crt"].encode(), 0o644),
        TOTP_SECRET: (b"JBSWY3DPEHPK3PXP\n", 0o600),
        HOME_FILE: (b"anna's own notes\n", 0o600),
    }
    for person in ("anna", "mallory"):
        for part in ("crt", "key"):
            found[f"{CLIENT_DIR}/{person}.{part}"] = (material[f"{person}.{part}"].encode(), 0o600)
    put_in_place(lab_vm, found)
    sh(lab_vm, f"systemd-run --quiet --unit=lz-xvnc-standin /usr/bin/python3 {STANDIN} 127.0.0.1 {ANNAS_RFB_PORT}")
    variables = {
        "browser_vm_repository": str(local_packages.local_repository("browser-packages", role_packages())),
        "browser_vm_desk_files": desk_files(material),
        "workplace_roster": ROSTER,
        "workplace_desk_addresses": {DESK: "127.0.0.1"},
        "workplace_gateway_browser": True,
        "workplace_gateway_tls_cert": material[f"{GATEWAY}.crt"],
        "workplace_gateway_tls_key": material[f"{GATEWAY}.key"],
        "workplace_gateway_people_ca": material["people.crt"],
        "workplace_gateway_desks_ca": material["municipality.crt"],
    }
    return lab_vm.playbook(PLAYBOOKS / "workplace_browser.yml", variables, timeout=2400), variables


def browse(vm, who: str | None, path: str) -> str:
    """What the gateway answered a browser with ``who``'s client certificate (None: without one)."""
    prefix = f"{CLIENT_DIR}/{who}" if who else "-"
    return sh(vm, f"python3 {CLIENT} {CLIENT_DIR}/municipality.crt {shlex.quote(prefix)} {shlex.quote(path)}")


def evidence(run, task: str) -> dict:
    """The record of the one task whose name (after its role's) is ``task``."""
    (found,) = [
        task_run["hosts"][host]
        for play in run.report["plays"]
        for task_run in play["tasks"]
        if task_run["task"]["name"].endswith(f" : {task}")
        for host in task_run["hosts"]
    ]
    return found["landingzone_evidence"]


@pytest.mark.parametrize("service", [NGINX, WEBSOCKIFY], ids=["nginx", "websockify"])
def test_the_roles_evidence_records_the_service_confined_in_enforce_mode(applied, service):
    run, _ = applied
    profile, unit = service
    record = evidence(run, EVIDENCE_TASKS[service])["record"]
    assert (record["verdict"], record["reason"], record["service"]) == ("pass", "", unit), record
    assert (record["profile"], record["profile_mode"]) == (profile, "enforce")
    assert record["processes"] and {p["label"] for p in record["processes"]} == {f"{profile} (enforce)"}, record


def test_aa_status_lists_both_profiles_enforcing_and_each_service_in_its_own(lab_vm, applied):
    status = record_aa_status(lab_vm, "browser-profiles")
    for profile, unit in (NGINX, WEBSOCKIFY):
        assert_enforced(lab_vm, status, profile, unit)
    # nginx's master and its workers alike.
    assert len(unit_labels(lab_vm, NGINX[1])) >= 2


def test_a_roster_persons_certificate_gets_novnc_and_their_desktop_through_both_profiles(lab_vm, applied):
    vm = lab_vm
    redirect = browse(vm, "anna", "/")
    assert redirect.startswith("HTTP/1.1 302") and "Location: " in redirect and "/vnc.html?" in redirect, redirect
    page = browse(vm, "anna", "/vnc.html")
    assert page.startswith("HTTP/1.1 200") and "<title>noVNC</title>" in page, page[:600]
    script = browse(vm, "anna", "/app/ui.js")
    assert script.startswith("HTTP/1.1 200"), script[:300]
    # The WebSocket: nginx sends it over TLS to the desk's websockify with anna's token, and websockify
    # to her Xvnc on the loopback, whose greeting comes back as a binary frame (opcode 0x82, 130).
    socket = browse(vm, "anna", "/websockify")
    assert socket.startswith("HTTP/1.1 101") and socket.rstrip().endswith("frame 130 RFB 003.008"), socket
    assert set(unit_labels(vm, WEBSOCKIFY[1])) == {f"{WEBSOCKIFY[0]} (enforce)"}
    # A certificate of the people's CA whose subject is no roster person's, and no certificate at all.
    assert browse(vm, "mallory", "/vnc.html").startswith("HTTP/1.1 403")
    assert browse(vm, None, "/vnc.html").startswith("HTTP/1.1 400")
    for profile, _ in (NGINX, WEBSOCKIFY):
        assert denials(vm, profile) == []


def test_a_reload_keeps_nginx_in_its_profile_without_a_denial(lab_vm, applied):
    vm = lab_vm
    master = main_pid(vm, NGINX[1])
    sh(vm, f"systemctl reload {NGINX[1]}; sleep 2")
    assert main_pid(vm, NGINX[1]) == master
    assert browse(vm, "anna", "/vnc.html").startswith("HTTP/1.1 200")
    labels = unit_labels(vm, NGINX[1])
    assert len(labels) >= 2 and set(labels) == {f"{NGINX[0]} (enforce)"}, labels
    assert denials(vm, NGINX[0]) == []


def test_nginxs_profile_refuses_the_ssh_host_key_and_a_shell_and_logs_both(lab_vm, applied):
    # An nginx taken over reading the gateway's SSH host key: the file is root's, as nginx's master is,
    # and only the profile stands in the way.
    said = assert_denied_and_logged(lab_vm, NGINX[0], f"/usr/sbin/nginx -t -q -c {SSH_HOST_KEY}", SSH_HOST_KEY)
    assert "Permission denied" in said and "PRIVATE KEY" not in said, said
    assert_runs_no_shell(lab_vm, NGINX[0])


@pytest.mark.parametrize("path", [TOTP_SECRET, HOME_FILE], ids=["totp-secret", "home"])
def test_websockifys_profile_refuses_a_persons_totp_secret_and_home_and_logs_it(lab_vm, applied, path):
    # Python in websockify's profile, as root: only the profile stands in the way.
    read = f"/usr/bin/python3 -I -c {shlex.quote(f'open({path!r}).read()')}"
    said = assert_denied_and_logged(lab_vm, WEBSOCKIFY[0], read, path)
    assert "Permission denied" in said and "JBSWY3DPEHPK3PXP" not in said and "own notes" not in said, said


def test_websockifys_profile_runs_no_shell(lab_vm, applied):
    assert_runs_no_shell(lab_vm, WEBSOCKIFY[0])


def test_a_second_run_changes_nothing_in_either_role(lab_vm, applied):
    _, variables = applied
    again = lab_vm.playbook(PLAYBOOKS / "workplace_browser.yml", variables, timeout=1200)
    changed = [name for name in again.changed_tasks() if name.startswith("cyberveilig.landingzone.")]
    assert changed == [], changed
    assert evidence(again, EVIDENCE_TASKS[NGINX])["record"]["verdict"] == "pass"
    assert evidence(again, EVIDENCE_TASKS[WEBSOCKIFY])["record"]["verdict"] == "pass"
