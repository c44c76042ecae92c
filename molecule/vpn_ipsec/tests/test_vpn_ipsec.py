"""An IPsec supplier through the gateway: IKEv2 with certificates, modern proposals only,
and only its listed host and port. Connections are real TCP connects from an address of
the supplier's own network, with a short timeout."""

import vpn_testinfra
from vpn_testinfra import address, host, wait_for

GATEWAY, SUPPLIER, APP1 = "lz-ipsec-gw", "lz-ipsec-supplier", "lz-ipsec-app1"
SUPPLIER_ADDRESS = "10.231.202.2"
CONNECTION = "supplier-beta-ipsec"
COUNTER = "supplier_beta_ipsec_dropped"


def connects(target, port):
    """From an address of the supplier's own network, as its firewall's hosts would."""
    return vpn_testinfra.connects(SUPPLIER, target, port, source=SUPPLIER_ADDRESS)


def counter(name=COUNTER):
    return vpn_testinfra.counter(GATEWAY, name)


def established():
    return "ESTABLISHED" in host(GATEWAY).run(f"swanctl --list-sas --ike {CONNECTION}").stdout


def test_ike_sa_is_established_with_modern_proposals_only():
    assert wait_for(established, 20)
    sas = host(GATEWAY).check_output(f"swanctl --list-sas --ike {CONNECTION}")
    assert "AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384" in sas
    assert "INSTALLED" in sas and "AES_GCM_16-256" in sas
    conns = host(GATEWAY).check_output("swanctl --list-conns")
    assert "IKEv2" in conns and "public key authentication" in conns


def test_tunnel_carries_traffic_to_the_listed_host_and_port():
    app1 = address(APP1)
    assert wait_for(lambda: connects(app1, 8443), 15)


def test_everything_else_is_dropped_and_counted():
    app1 = address(APP1)
    before = counter()
    assert not connects(app1, 22)
    assert counter() > before


def test_tunnel_up_is_logged_to_the_journal():
    journal = host(GATEWAY).run("journalctl -t vpn-gateway --no-pager").stdout
    assert f"ipsec tunnel {CONNECTION} up" in journal


def test_status_module_reports_the_sa_as_evidence():
    result, output = vpn_testinfra.run_module(
        GATEWAY, "cyberveilig.landingzone.vpn_gateway_status", {"interface": "lzwgipsec0"}, timeout=120
    )
    record = result["landingzone_evidence"]["record"]
    assert result["landingzone_evidence"]["section"] == "vpn"
    assert record["suppliers"]["beta-ipsec"]["ipsec_sa"] == "ESTABLISHED"
    assert record["suppliers"]["beta-ipsec"]["dropped"]["packets"] > 0
    assert "PRIVATE" not in output
