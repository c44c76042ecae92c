"""An IPsec supplier through the gateway: IKEv2 with certificates, modern proposals only, and
only its listed host:port pairs, over IPv4 and IPv6. Attempts are real TCP connects and UDP
echoes from the supplier's tunnel addresses (or, for the outside paths, beside the tunnel),
with a short timeout; every target listens, and each refused path is read from its counter.

What the traffic selectors already keep out of the tunnel (the management network, another
supplier) never reaches the gateway's rules here; those paths are tried through WireGuard
(molecule/vpn_gateway) and in network namespaces (tests/unit/vpn/test_vpn_forwarding.py)."""

import pytest
import vpn_testinfra
from vpn_testinfra import address, host, reach, refused_and_counted, wait_for

GATEWAY, SUPPLIER, APP1 = "lz-ipsec-gw", "lz-ipsec-supplier", "lz-ipsec-app1"
SUPPLIER_ADDRESS = {4: "10.231.203.2", 6: "fd00:231:203::2"}
INSIDE = {4: "10.231.208.11", 6: "fd00:231:208::11"}
CONNECTION = "supplier-beta-ipsec"
COUNTER = "supplier_beta_ipsec_dropped"
FAMILIES = pytest.mark.parametrize("family", vpn_testinfra.FAMILIES, ids=["ipv4", "ipv6"])


def established():
    return "ESTABLISHED" in host(GATEWAY).run(f"swanctl --list-sas --ike {CONNECTION}").stdout


def test_ike_sa_is_established_with_modern_proposals_only():
    assert wait_for(established, 20)
    sas = host(GATEWAY).check_output(f"swanctl --list-sas --ike {CONNECTION}")
    assert "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384" in sas
    assert "INSTALLED" in sas and "AES_GCM_16-256" in sas
    conns = host(GATEWAY).check_output("swanctl --list-conns")
    assert "IKEv2" in conns and "public key authentication" in conns


@FAMILIES
def test_tunnel_carries_traffic_to_the_listed_pairs(family):
    app1 = address(APP1, family)
    source = SUPPLIER_ADDRESS[family]
    wanted = [(app1, 8443, "tcp", source), (app1, 5353, "udp", source)]
    assert wait_for(lambda: reach(SUPPLIER, wanted) == [True, True], 15)


@FAMILIES
def test_a_host_port_it_was_not_given_is_refused_and_counted(family):
    app1, source = address(APP1, family), SUPPLIER_ADDRESS[family]
    refused_and_counted(GATEWAY, COUNTER, SUPPLIER, [(app1, 22, "tcp", source), (app1, 8443, "udp", source)])


@FAMILIES
def test_the_gateway_itself_is_refused(family):
    """Through the tunnel over IPv6. strongSwan keeps traffic to its IKE peer's own address out of
    the tunnel, so over IPv4 (the family IKE runs on here) the same attempt leaves beside the
    tunnel, from the supplier's tunnel address: refused all the same, and counted as such."""
    counter = "vpn_to_gateway_dropped" if family == 6 else "vpn_tunnel_source_outside_dropped"
    gateway = address(GATEWAY, family)
    refused_and_counted(GATEWAY, counter, SUPPLIER, [(gateway, 22, "tcp", SUPPLIER_ADDRESS[family])])


@FAMILIES
def test_the_outside_interface_reaches_nothing_inside(family):
    refused_and_counted(GATEWAY, "vpn_not_from_tunnel_dropped", SUPPLIER, [(INSIDE[family], 8443, "tcp")])


@FAMILIES
def test_the_suppliers_tunnel_address_beside_the_tunnel_reaches_nothing(family):
    attempts = [(INSIDE[family], 8443, "tcp", SUPPLIER_ADDRESS[family])]
    refused_and_counted(GATEWAY, "vpn_tunnel_source_outside_dropped", SUPPLIER, attempts)


@FAMILIES
def test_the_internal_host_cannot_open_a_connection_into_the_tunnel(family):
    refused_and_counted(GATEWAY, "vpn_inbound_new_dropped", APP1, [(SUPPLIER_ADDRESS[family], 22, "tcp")])


def test_tunnel_up_is_logged_to_the_journal():
    journal = host(GATEWAY).run("journalctl -t vpn-gateway --no-pager").stdout
    assert f"ipsec tunnel {CONNECTION} up" in journal


def test_status_module_reports_the_sa_as_evidence():
    result, output = vpn_testinfra.run_module(
        GATEWAY, "cyberveilig.landingzone.vpn_gateway_status", {"interface": "lzwgipsec0"}, timeout=120
    )
    record = result["landingzone_evidence"]["record"]
    assert result["landingzone_evidence"]["section"] == "vpn"
    assert record["interface"]["up"] is True and record["verdict"] == "pass"
    assert record["suppliers"]["beta-ipsec"]["ipsec_sa"] == "ESTABLISHED"
    assert record["suppliers"]["beta-ipsec"]["dropped"]["packets"] > 0
    assert record["counters"]["vpn_not_from_tunnel_dropped"]["packets"] > 0
    assert "PRIVATE" not in output
