"""The gateway forwards each supplier's own host:port pairs and nothing else, over IPv4 and IPv6.

Real TCP connects and UDP echoes between network namespaces (netns_gateway.py draws them),
through a gateway namespace that holds the baseline's ruleset (forwarding declared the way
the vpn_gateway role declares it) and the vpn_gateway table, both rendered by the
collection's own code. Every target listens, so a refused connection was refused by the
gateway; each refused path is read from its named counter. About 10 s: most of it is the
refused connects waiting out their timeout.
"""

from __future__ import annotations

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import names, nftables, plan
from netns_gateway import Topology
from vpn_baseline_ruleset import DROPINS_LINE, baseline_ruleset
from vpn_testdata import MANAGEMENT, MANAGEMENT_TEXT, NOW, TUNNEL, wg_key

FAMILIES = pytest.mark.parametrize("family", [4, 6], ids=["ipv4", "ipv6"])
A, B = "acme-support", "beta-software"


def vpn_table(topology: Topology) -> str:
    addresses = {host: [topology.ADDRESSES[f][host] for f in (4, 6)] for host in ("app1", "app2")}
    suppliers = [
        {
            "name": name,
            "vpn": {
                "protocol": "wireguard",
                "public_key": wg_key(),
                "tunnel_address": [f"{topology.ADDRESSES[4][ns]}/32", f"{topology.ADDRESSES[6][ns]}/128"],
            },
            "access": access,
            "expires": "2099-01-01T00:00:00Z",
        }
        for name, ns, access in (
            (
                A,
                "supa",
                [{"host": "app1", "port": 8443, "proto": "tcp"}, {"host": "app1", "port": 5353, "proto": "udp"}],
            ),
            (B, "supb", [{"host": "app2", "port": 8443, "proto": "tcp"}]),
        )
    ]
    decided = plan.build(suppliers, addresses, {}, {}, {}, NOW, TUNNEL)
    return nftables.render(decided["active"], [], "lzwg0", "", TUNNEL, MANAGEMENT)


@pytest.fixture(scope="module")
def gateway():
    topology = Topology()
    try:
        topology.build()
        # The drop-ins of this machine are none of the test's business.
        topology.load(baseline_ruleset(MANAGEMENT_TEXT).replace(DROPINS_LINE, ""))
        topology.load(vpn_table(topology))
        yield topology
    finally:
        topology.remove()


def refused_and_counted(gateway, counter, attempts):
    """Every attempt (client, proto, target, port[, source]) is refused, and ``counter`` rose for each."""
    before = gateway.counter(counter)
    reached = [attempt for attempt, ok in zip(attempts, gateway.reach_all(attempts), strict=True) if ok]
    assert reached == [], f"reached although refused: {reached}"
    assert gateway.counter(counter) >= before + len(attempts), f"{counter} did not count every refused attempt"


@FAMILIES
def test_each_supplier_reaches_its_own_pairs_through_its_tunnel(gateway, family):
    a = gateway.ADDRESSES[family]
    assert gateway.reaches("supa", "tcp", a["app1"], 8443)
    assert gateway.reaches("supa", "udp", a["app1"], 5353)
    assert gateway.reaches("supb", "tcp", a["app2"], 8443)


@FAMILIES
def test_a_supplier_cannot_reach_another_suppliers_hosts(gateway, family):
    a = gateway.ADDRESSES[family]
    refused_and_counted(gateway, names.supplier_counter(A), [("supa", "tcp", a["app2"], 8443)])
    refused_and_counted(gateway, names.supplier_counter(B), [("supb", "tcp", a["app1"], 8443)])


@FAMILIES
def test_a_supplier_cannot_reach_a_host_port_it_was_not_given(gateway, family):
    a = gateway.ADDRESSES[family]
    attempts = [("supa", "tcp", a["app1"], 2222), ("supa", "tcp", a["app1"], 22), ("supa", "udp", a["app2"], 5353)]
    refused_and_counted(gateway, names.supplier_counter(A), attempts)


@FAMILIES
def test_a_supplier_cannot_reach_another_supplier(gateway, family):
    a = gateway.ADDRESSES[family]
    refused_and_counted(gateway, "vpn_supplier_to_supplier_dropped", [("supa", "tcp", a["supb"], 22)])


@FAMILIES
def test_a_supplier_cannot_reach_the_management_network(gateway, family):
    a = gateway.ADDRESSES[family]
    refused_and_counted(gateway, "vpn_to_management_dropped", [("supa", "tcp", a["management"], 22)])


@FAMILIES
def test_a_supplier_cannot_reach_the_gateway_itself_through_its_tunnel(gateway, family):
    a = gateway.ADDRESSES[family]
    attempts = [("supa", "tcp", a["gw_tunnel"], 22), ("supa", "tcp", a["gw_inside"], 22)]
    refused_and_counted(gateway, "vpn_to_gateway_dropped", attempts)


@FAMILIES
def test_the_outside_interface_reaches_nothing_inside(gateway, family):
    a = gateway.ADDRESSES[family]
    attempts = [("outside", "tcp", a["app1"], 8443), ("outside", "udp", a["app1"], 5353)]
    refused_and_counted(gateway, "vpn_not_from_tunnel_dropped", attempts)


@FAMILIES
def test_a_tunnel_address_outside_the_tunnel_reaches_neither_the_gateway_nor_the_inside(gateway, family):
    """A supplier (or anyone) sending from a supplier's tunnel address without its tunnel."""
    a = gateway.ADDRESSES[family]
    attempts = [("outside", "tcp", a["gw_outside"], 22, a["supa"]), ("outside", "tcp", a["app1"], 8443, a["supa"])]
    refused_and_counted(gateway, "vpn_tunnel_source_outside_dropped", attempts)


@FAMILIES
def test_the_inside_cannot_open_connections_into_a_tunnel(gateway, family):
    a = gateway.ADDRESSES[family]
    refused_and_counted(gateway, "vpn_inbound_new_dropped", [("inside", "tcp", a["supa"], 22)])


@FAMILIES
def test_the_baseline_alone_still_forwards_nothing_from_the_outside(gateway, family):
    """Without the gateway's table (before the role ran, or if it is flushed) the baseline's own
    forward chain holds: nothing new from the outside interface, only from the declared tunnels."""
    a = gateway.ADDRESSES[family]
    gateway.exec("gw", "nft", "delete", "table", "inet", names.TABLE)
    try:
        assert not gateway.reaches("outside", "tcp", a["app1"], 8443)
        assert not gateway.reaches("inside", "tcp", a["supa"], 22)
        assert gateway.reaches("supa", "tcp", a["app1"], 2222), "the baseline forwards the declared tunnel"
    finally:
        gateway.load(vpn_table(gateway))
