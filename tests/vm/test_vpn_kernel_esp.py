"""IPsec in the kernel's ESP meets the same rules as every other tunnel, on a real kernel.

The machines of the lab have no ESP in their kernel, so containers prove IPsec only with
ESP in user space (kernel-libipsec, molecule/vpn_ipsec). Here the lab VM's Debian kernel
does ESP itself: decrypted packets come out of the interface the ESP arrived on, not out of
ipsec0, and the gateway's table takes them by the kernel's IPsec policy (meta ipsec exists).
The VM applies the vpn_gateway role with kernel-libipsec off and loads the baseline's
ruleset (forwarding declared as the role declares it); a supplier's own strongSwan runs in
a network namespace (vpn_topology.sh draws the VM's namespaces). Over IPv4 and IPv6, with
real TCP and UDP, the supplier reaches its own pairs through ESP and every other path is
refused and read from its counter. Last, its access ends through the sandboxed expiry
service, which a container cannot sandbox. The role loads the watcher's AppArmor profile (the
VM gets AppArmor's tools first, as the baseline gives a gateway): the watcher sees the tunnel from
inside it, and its reading the gateway's private key is refused and logged. About 6 minutes under software emulation: in
`make test-slow`; `make test` keeps the rendering (tests/unit/vpn/test_vpn_render.py) and
the namespace proof (tests/unit/vpn/test_vpn_forwarding.py).
"""

import json
import shlex
import time

import pytest
from apparmor_vm import assert_denied_and_logged, assert_enforced, denials, record_aa_status
from lab_vm import PLAYBOOKS, ROOT
from vpn_baseline_ruleset import baseline_ruleset
from vpn_packages import local_repository

from landingzone.pki import CertificateAuthority

pytestmark = [pytest.mark.vm, pytest.mark.slow]

SUPPLIER, OTHER = "esp-supplier", "wg-supplier"
COUNTER = "supplier_esp_supplier_dropped"
TUNNEL = {4: "10.231.201.2", 6: "fd00:231:201::2"}
OTHER_TUNNEL = {4: "10.231.201.5", 6: "fd00:231:201::5"}
GATEWAY_TUNNEL = {4: "10.231.201.1", 6: "fd00:231:201::1"}
GATEWAY_OUTSIDE = {4: "192.0.2.1", 6: "2001:db8:2::1"}
APP1 = {4: "10.231.250.11", 6: "fd00:231:250::11"}
APP2 = {4: "10.231.250.12", 6: "fd00:231:250::12"}
MANAGEMENT = {4: "10.231.209.2", 6: "fd00:231:209::2"}
INSIDE = ["10.231.250.0/24", "fd00:231:250::/64"]
MANAGEMENT_NETWORKS = ["10.231.209.0/24", "fd00:231:209::/64"]
TUNNEL_NETWORKS = ["10.231.201.0/24", "fd00:231:201::/64"]
FAMILIES = pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
SA_TIMEOUT = 120
# Run in a namespace of the VM: every attempt at once (molecule/shared/reach.py says how).
REACH = (ROOT / "molecule" / "shared" / "reach.py").read_text()


def gateway_vars(pki):
    """The role's variables: one IPsec supplier, and a WireGuard one to be another supplier."""
    return {
        "vpn_gateway_interface": "lzwg0",
        "vpn_gateway_tunnel_networks": TUNNEL_NETWORKS,
        "vpn_gateway_management_networks": MANAGEMENT_NETWORKS,
        "vpn_gateway_service_networks": INSIDE,
        "vpn_gateway_host_addresses": {"app1": [APP1[4], APP1[6]], "app2": [APP2[4], APP2[6]]},
        "vpn_gateway_endpoint": GATEWAY_OUTSIDE[4],
        "vpn_gateway_ipsec_kernel_libipsec": False,
        # The supplier may send anything inside, to the management network and to the tunnel
        # network through its SA: what is not its own pair must meet the gateway's rules.
        "vpn_gateway_ipsec_local_networks": INSIDE + MANAGEMENT_NETWORKS + TUNNEL_NETWORKS,
        "vpn_gateway_ipsec_id": "lz-esp-gw",
        "vpn_gateway_ipsec_certificate": (pki / "lz-esp-gw.crt").read_text(),
        "vpn_gateway_ipsec_private_key": (pki / "lz-esp-gw.key").read_text(),
        "vpn_gateway_suppliers": [
            {
                "name": SUPPLIER,
                "contact": "support@esp.invalid",
                "vpn": {
                    "protocol": "ipsec",
                    "certificate": (pki / "lz-esp-supplier.crt").read_text(),
                    "tunnel_address": [f"{TUNNEL[4]}/32", f"{TUNNEL[6]}/128"],
                },
                "access": [
                    {"host": "app1", "port": 8443, "proto": "tcp"},
                    {"host": "app1", "port": 5353, "proto": "udp"},
                ],
                "expires": "2099-12-31T23:00:00+01:00",
            },
            {
                "name": OTHER,
                "contact": "support@wg.invalid",
                "vpn": {
                    "protocol": "wireguard",
                    "public_key": "AIcXTNMLC6GW66wm4aD+y8JbqgdP5fNjc/AbfCXV6RA=",
                    "tunnel_address": [f"{OTHER_TUNNEL[4]}/32", f"{OTHER_TUNNEL[6]}/128"],
                },
                "access": [{"host": "app2", "port": 8443, "proto": "tcp"}],
                "expires": "2099-12-31T23:00:00+01:00",
            },
        ],
    }


@pytest.fixture(scope="module")
def applied(lab_vm):
    # SSH comes from qemu's user network; IKE and ESP in UDP come in beside WireGuard.
    ruleset = lab_vm.workdir / "nftables.conf"
    ruleset.write_text(baseline_ruleset(["10.0.2.0/24"], udp_ports=(51820, 500, 4500)))
    pki = lab_vm.workdir / "pki"
    authority = CertificateAuthority(pki).ensure("landingzone VM test CA")
    for name in ("lz-esp-gw", "lz-esp-supplier"):
        authority.issue(name, [name])
    extra = {
        "vpn_vm_repository": str(local_repository()),
        "vpn_vm_pki": str(pki),
        "vpn_vm_baseline_ruleset": str(ruleset),
        **gateway_vars(pki),
    }
    return lab_vm.playbook(PLAYBOOKS / "vpn_kernel_esp.yml", extra, timeout=1200)


@pytest.fixture(scope="module")
def gateway(lab_vm, applied):
    # The supplier starts the tunnel; under software emulation the key exchange takes a while.
    deadline = time.monotonic() + SA_TIMEOUT
    while "INSTALLED" not in sudo(lab_vm, "swanctl --list-sas --ike supplier-esp-supplier || true"):
        assert time.monotonic() < deadline, f"no IPsec SA with the supplier within {SA_TIMEOUT} s"
        time.sleep(3)
    return lab_vm


def sudo(vm, command, timeout=120):
    return vm.ssh(f"sudo -n sh -c {shlex.quote(command)}", timeout=timeout)


def reach(vm, namespace, attempts):
    """Whether each (target, port, proto, source) from a namespace of the VM got an answer."""
    full = json.dumps([[t, p, proto, source] for t, p, proto, source in attempts])
    out = sudo(vm, f"ip netns exec {namespace} python3 -c {shlex.quote(REACH)} {shlex.quote(full)} 3")
    return json.loads(out)


def counter(vm, name):
    out = sudo(vm, f"nft -j list counter inet vpn_gateway {name}")
    return json.loads(out)["nftables"][1]["counter"]["packets"]


def refused_and_counted(vm, name, namespace, attempts):
    before = counter(vm, name)
    answered = [a for a, ok in zip(attempts, reach(vm, namespace, attempts), strict=True) if ok]
    assert answered == [], f"answered although refused: {answered}"
    assert counter(vm, name) >= before + len(attempts), f"{name} did not count every refused attempt"


def test_the_sa_is_established_in_the_kernel_without_libipsec(gateway):
    sas = sudo(gateway, "swanctl --list-sas --ike supplier-esp-supplier")
    assert "ESTABLISHED" in sas and "INSTALLED" in sas
    assert sudo(gateway, "ip -o link show ipsec0 || true").strip() == ""
    states = sudo(gateway, "ip xfrm state list proto esp")
    assert "src 192.0.2.2 dst 192.0.2.1" in states and "encap type espinudp" in states


@FAMILIES
def test_the_supplier_reaches_its_own_pairs_through_the_kernels_esp(gateway, family):
    before = sudo(gateway, "ip -s xfrm state list src 192.0.2.2 dst 192.0.2.1 proto esp")
    source = TUNNEL[family]
    assert reach(gateway, "lzsup", [(APP1[family], 8443, "tcp", source), (APP1[family], 5353, "udp", source)]) == [
        True,
        True,
    ]
    after = sudo(gateway, "ip -s xfrm state list src 192.0.2.2 dst 192.0.2.1 proto esp")
    assert after != before, "the traffic did not come through the supplier's ESP state"


@FAMILIES
def test_a_host_port_it_was_not_given_is_refused_and_counted(gateway, family):
    source = TUNNEL[family]
    attempts = [(APP1[family], 22, "tcp", source), (APP1[family], 2222, "tcp", source)]
    attempts.append((APP2[family], 5353, "udp", source))
    refused_and_counted(gateway, COUNTER, "lzsup", attempts)


@FAMILIES
def test_another_suppliers_host_is_refused_and_counted(gateway, family):
    refused_and_counted(gateway, COUNTER, "lzsup", [(APP2[family], 8443, "tcp", TUNNEL[family])])


@FAMILIES
def test_another_supplier_is_refused_and_counted(gateway, family):
    attempts = [(OTHER_TUNNEL[family], 2222, "tcp", TUNNEL[family])]
    refused_and_counted(gateway, "vpn_supplier_to_supplier_dropped", "lzsup", attempts)


@FAMILIES
def test_the_management_network_is_refused_and_counted(gateway, family):
    attempts = [(MANAGEMENT[family], 22, "tcp", TUNNEL[family])]
    refused_and_counted(gateway, "vpn_to_management_dropped", "lzsup", attempts)


@FAMILIES
def test_the_gateway_itself_is_refused_through_the_tunnel(gateway, family):
    attempts = [(GATEWAY_TUNNEL[family], 22, "tcp", TUNNEL[family])]
    refused_and_counted(gateway, "vpn_to_gateway_dropped", "lzsup", attempts)


@FAMILIES
def test_the_outside_interface_reaches_nothing_inside(gateway, family):
    refused_and_counted(gateway, "vpn_not_from_tunnel_dropped", "lzsup", [(APP1[family], 8443, "tcp", "")])


@FAMILIES
def test_the_suppliers_tunnel_address_outside_the_tunnel_reaches_nothing(gateway, family):
    # The gateway's outside address is in none of the supplier's selectors: sent in clear.
    attempts = [(GATEWAY_OUTSIDE[family], 22, "tcp", TUNNEL[family])]
    refused_and_counted(gateway, "vpn_tunnel_source_outside_dropped", "lzsup", attempts)


@FAMILIES
def test_the_inside_cannot_open_a_connection_into_the_tunnel(gateway, family):
    refused_and_counted(gateway, "vpn_inbound_new_dropped", "lzapp", [(TUNNEL[family], 2222, "tcp", APP1[family])])


def test_the_sandboxed_expiry_service_ends_the_access(gateway):
    """The expiry timer's service, under its real sandbox: the SA closes, the chain drops."""
    sudo(gateway, f"systemctl start vpn-gateway-expire@{SUPPLIER}.service", timeout=180)
    assert sudo(gateway, f"systemctl show -P Result vpn-gateway-expire@{SUPPLIER}.service").strip() == "success"
    assert "ESTABLISHED" not in sudo(gateway, "swanctl --list-sas --ike supplier-esp-supplier || true")
    chain = sudo(gateway, "nft list chain inet vpn_gateway supplier_esp_supplier")
    assert "accept" not in chain and COUNTER in chain
    ended = json.loads(sudo(gateway, "cat /var/lib/vpn_gateway/ended.json"))
    assert ended[SUPPLIER]["reason"] == "expired"
    assert reach(gateway, "lzsup", [(APP1[4], 8443, "tcp", TUNNEL[4])]) == [False]


WATCHER_PROFILE = "landingzone-vpn-gateway-watch"


def test_the_watcher_runs_in_its_apparmor_profile_and_still_sees_the_tunnel(gateway):
    status = record_aa_status(gateway, "vpn-gateway")
    assert_enforced(gateway, status, WATCHER_PROFILE, "vpn-gateway-watch.service")
    # What it does: `wg show` of the interface, in its profile, found the tunnel up.
    seen = sudo(gateway, "journalctl -u vpn-gateway-watch.service -o cat --no-pager")
    events = [line for line in seen.splitlines() if "tunnel interface" in line]
    assert events and events[-1].endswith("tunnel interface lzwg0 is up"), seen[-2000:]
    assert denials(gateway, WATCHER_PROFILE) == []


def test_the_roles_evidence_records_the_watcher_confined_by_its_profile(applied):
    (result,) = applied.task_results(
        "cyberveilig.landingzone.vpn_gateway : Record whether the watcher runs in its AppArmor profile, in enforce mode"
    )
    assert result["landingzone_evidence"]["section"] == "confinement"
    record = result["landingzone_evidence"]["record"]
    assert (record["verdict"], record["reason"], record["profile_mode"]) == ("pass", "", "enforce"), record
    assert {p["label"] for p in record["processes"]} == {f"{WATCHER_PROFILE} (enforce)"}, record


def test_the_watchers_profile_refuses_the_gateways_private_key_and_logs_it(gateway):
    key = "/etc/wireguard/lzwg0.key"
    assert_denied_and_logged(gateway, WATCHER_PROFILE, f"/usr/bin/python3 -c 'open(\"{key}\").read()'", key)
