"""The workplace's RDP gateway (HAProxy) in its AppArmor profile on a real kernel: a smoke make test
runs, and the second apply make test-slow adds.

On the VM the smokes share (conftest.py: hardened_vm), the workplace_gateway role is applied as an
operator applies it; HAProxy's packages are installed from the controller first (the VM reaches
no mirror; the role's apt task finds them in place). Two desks stand in a network namespace the
test makes: each is a small listener (not xrdp) that answers with its desk's name and the
mstshash cookie it received, which is all a gateway that passes the bytes on can be asked to
prove. Through the confined HAProxy a person on the roster reaches their own desk, a name not
on the roster reaches none, the worker logs the connection through the chroot's /dev/log, and a
reload keeps the service in its profile; the role's evidence records the confinement, and the
profile refuses, logged in its name, the SSH host key and a shell.
"""

from __future__ import annotations

import shlex

import pytest
from apparmor_vm import assert_denied_and_logged, assert_enforced, denials, main_pid, record_aa_status, unit_labels
from backup_vm import DEBS, downloaded_debs, put_in_place, sh
from lab_vm import PLAYBOOKS

pytestmark = [pytest.mark.vm]
PROFILE = "landingzone-haproxy"
UNIT = "haproxy.service"
CONFINEMENT_TASK = (
    "cyberveilig.landingzone.workplace_gateway : Record whether HAProxy runs in its AppArmor profile, in enforce mode"
)
# haproxy and what it depends on that the VM's disk lacks (lab/vm/recipe.yml): dpkg says so if one is missing.
PACKAGES = ("haproxy", "liblua5.3-0", "libopentracing-c-wrapper0", "libopentracing1")
PACKAGE_DIR = DEBS.parent / "gateway-vm-debs"
VM_DEBS = "/var/cache/lz-gateway-debs"
# The desks' network: a namespace of the test's own, reached from the VM over a veth pair.
NAMESPACE = "lz-desks"
GATEWAY_SIDE = "10.77.0.1"
DESKS = {"desk1": "10.77.0.2", "desk2": "10.77.0.3"}
# The roster is spread over the desks in turn: anna on desk1, bert on desk2.
ROSTER = [{"name": "anna"}, {"name": "bert"}]
PORT = 3389
STANDIN = "/usr/local/lib/lz-desk-standin.py"
CLIENT = "/usr/local/lib/lz-rdp-hello.py"
SSH_HOST_KEY = "/etc/ssh/ssh_host_ed25519_key"

# A desk: answers each connection with its name and the cookie line of the RDP connection request.
STANDIN_SCRIPT = """\
import socket, sys
listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
while True:
    connection, _ = listener.accept()
    request = connection.recv(4096)
    cookie = request[11:].split(b"\\r\\n")[0]
    connection.sendall(sys.argv[3].encode() + b" " + cookie + b"\\n")
    connection.close()
"""
# An RDP client's first packet: TPKT, X.224 connection request, "Cookie: mstshash=NAME\\r\\n".
CLIENT_SCRIPT = """\
import socket, sys
cookie = b"Cookie: mstshash=" + sys.argv[1].encode() + b"\\r\\n"
x224 = bytes([6 + len(cookie), 0xE0, 0, 0, 0, 0, 0]) + cookie
tpkt = bytes([3, 0]) + (4 + len(x224)).to_bytes(2, "big") + x224
connection = socket.create_connection(("127.0.0.1", int(sys.argv[2])), 10)
connection.sendall(tpkt)
print(connection.recv(4096).decode(errors="replace").strip() or "closed")
"""

# Each desk's address, and its stand-in listening there in the desks' namespace.
START_DESKS = "".join(
    f"""ip -n {NAMESPACE} addr add {address}/24 dev lz-desks0
systemd-run --quiet --unit=lz-{desk}-standin -p NetworkNamespacePath=/run/netns/{NAMESPACE} \\
  /usr/bin/python3 {STANDIN} {address} {PORT} {desk}
"""
    for desk, address in DESKS.items()
)
SETUP = f"""
set -e
dpkg -i {VM_DEBS}/*.deb >/dev/null
ip netns add {NAMESPACE}
ip link add lz-gw0 type veth peer name lz-desks0 netns {NAMESPACE}
ip addr add {GATEWAY_SIDE}/24 dev lz-gw0
ip link set lz-gw0 up
ip -n {NAMESPACE} link set lz-desks0 up
{START_DESKS}for i in $(seq 100); do
  [ "$(ip netns exec {NAMESPACE} ss -Hltn | wc -l)" -ge {len(DESKS)} ] && break; sleep 0.3
done
"""
VARIABLES = {"workplace_roster": ROSTER, "workplace_desk_addresses": DESKS, "workplace_gateway_rdp_port": PORT}


@pytest.fixture(scope="module")
def applied(hardened_vm):
    """The role's run on the smokes' VM, the desks answering."""
    found = {
        STANDIN: (STANDIN_SCRIPT.encode(), 0o755),
        CLIENT: (CLIENT_SCRIPT.encode(), 0o755),
    }
    for deb in sorted(downloaded_debs(PACKAGES, PACKAGE_DIR).glob("*.deb")):
        found[f"{VM_DEBS}/{deb.name}"] = (deb.read_bytes(), 0o644)
    put_in_place(hardened_vm, found)
    sh(hardened_vm, SETUP, timeout=600)
    # Left running afterwards, as the other smokes leave theirs: nothing else on the VM uses the RDP
    # port or the desks' namespace, and the VM's disk is thrown away with it.
    return hardened_vm.playbook(PLAYBOOKS / "workplace_gateway.yml", VARIABLES, timeout=900)


def connect(vm, person: str) -> str:
    """What the desk behind the gateway answered an RDP client that named ``person``."""
    return sh(vm, f"python3 {CLIENT} {shlex.quote(person)} {PORT}").strip()


@pytest.mark.vm_smoke
def test_the_roles_evidence_records_haproxy_confined_in_enforce_mode(applied):
    (result,) = applied.task_results(CONFINEMENT_TASK)
    evidence = result["landingzone_evidence"]
    record = evidence["record"]
    assert evidence["section"] == "confinement"
    assert (record["verdict"], record["reason"], record["service"]) == ("pass", "", UNIT), record
    assert (record["profile"], record["profile_mode"]) == (PROFILE, "enforce")
    # The master and its worker.
    assert len(record["processes"]) >= 2, record
    assert {p["label"] for p in record["processes"]} == {f"{PROFILE} (enforce)"}, record


@pytest.mark.vm_smoke
def test_haproxy_routes_each_person_to_their_desk_by_the_cookie_through_its_profile(hardened_vm, applied):
    vm = hardened_vm
    assert_enforced(vm, record_aa_status(vm, "gateway-smoke"), PROFILE, UNIT)
    assert connect(vm, "anna") == "desk1 Cookie: mstshash=anna"
    assert connect(vm, "bert") == "desk2 Cookie: mstshash=bert"
    # A name not on the roster reaches no desk: the gateway closes the connection.
    assert connect(vm, "mallory") == "closed"
    # The worker (chrooted, as haproxy) logged both through the /dev/log its unit binds into the chroot.
    logged = sh(vm, "journalctl -t haproxy -o cat --no-pager")
    assert "rdp desk_desk1/desk1" in logged and "rdp rdp/<NOSRV>" in logged, logged[-1000:]


@pytest.mark.vm_smoke
def test_a_reload_keeps_haproxy_in_its_profile_without_a_denial(hardened_vm, applied):
    vm = hardened_vm
    master = main_pid(vm, UNIT)
    sh(vm, f"systemctl reload {UNIT}; for i in $(seq 60); do systemctl is-active -q {UNIT} && break; sleep 0.5; done")
    # systemd's reload runs haproxy -c and kill in the profile; the master re-executes itself in it.
    assert main_pid(vm, UNIT) == master
    assert connect(vm, "anna") == "desk1 Cookie: mstshash=anna"
    labels = unit_labels(vm, UNIT)
    assert len(labels) >= 2 and set(labels) == {f"{PROFILE} (enforce)"}, labels
    assert denials(vm, PROFILE) == []


@pytest.mark.vm_smoke
def test_the_profile_refuses_the_ssh_host_key_and_a_shell_and_logs_both(hardened_vm, applied):
    vm = hardened_vm
    # A HAProxy taken over reading the gateway's SSH host key, to pose as the gateway: the file is root's,
    # as HAProxy's master is, and only the profile stands in the way.
    said = assert_denied_and_logged(vm, PROFILE, f"/usr/sbin/haproxy -c -f {SSH_HOST_KEY}", SSH_HOST_KEY)
    assert "Permission denied" in said and "PRIVATE KEY" not in said, said
    # Code run in the profile (the shell aa-exec starts in it stands in for it) may start no shell.
    before = len(denials(vm, PROFILE))
    attempt = sh(vm, f"aa-exec -p {PROFILE} -- /bin/sh -c 'exec /bin/sh -c \"echo started\"' 2>&1; echo rc=$?")
    assert "started" not in attempt and not attempt.rstrip().endswith("rc=0"), attempt
    refused = [d for d in denials(vm, PROFILE)[before:] if d.get("operation") == "exec"]
    assert refused and refused[0]["name"] == "/usr/bin/dash" and refused[0]["denied_mask"] == "x", refused


@pytest.mark.slow
def test_a_second_apply_changes_nothing_and_haproxy_stays_confined(hardened_vm, applied):
    again = hardened_vm.playbook(PLAYBOOKS / "workplace_gateway.yml", VARIABLES, timeout=900)
    assert again.changed == 0, again.changed_tasks()
    (result,) = again.task_results(CONFINEMENT_TASK)
    assert result["landingzone_evidence"]["record"]["verdict"] == "pass", result
