"""The files the gateway writes: nftables drop-in, wg-quick file, swanctl, timers."""

import datetime
import subprocess

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import nftables, plan, units, wireguard
from vpn_testdata import ADDRESSES, NOW


@pytest.fixture
def decided(supplier):
    return plan.build([supplier], ADDRESSES, {}, {}, {}, NOW)


def test_the_dropin_lets_a_supplier_reach_only_its_pairs(decided):
    text = nftables.render(decided["active"], [], "lzwg0", "")
    assert 'iifname "lzwg0" ip saddr 10.231.201.2/32 jump supplier_acme_support' in text
    assert "ip daddr 10.231.250.11 tcp dport 8443 accept" in text
    assert "ip daddr 10.231.250.12 udp dport 53 accept" in text
    assert 'counter name "supplier_acme_support_dropped" drop' in text
    assert "counter supplier_acme_support_dropped { }" in text


def test_the_dropin_is_valid_nft(decided, tmp_path):
    """nft itself parses the file (``-c`` checks without loading); skipped where nft cannot run."""
    path = tmp_path / "vpn_gateway.nft"
    path.write_text(nftables.render(decided["active"], [], "lzwg0", "ipsec0"))
    done = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if "Operation not permitted" in done.stderr:
        pytest.skip("nft -c needs CAP_NET_ADMIN here")
    assert done.returncode == 0, done.stderr


def test_an_ended_supplier_keeps_only_a_drop(supplier):
    supplier["expires"] = "2026-01-01T00:00:00Z"
    decided = plan.build([supplier], ADDRESSES, {}, {}, {}, NOW)
    text = nftables.render([], decided["ended_suppliers"], "lzwg0", "")
    assert "dport 8443" not in text
    assert 'counter name "supplier_acme_support_dropped" drop' in text


def test_the_wireguard_file_hides_its_keys_in_diffs(decided, keys):
    peers = [dict(p, supplier="acme-support") for p in decided["active"][0]["peers"]]
    conf = wireguard.render("10.231.201.1/24", 51820, "PRIVATEKEY", peers, {"acme-support": "PSKVALUE"})
    assert f"PublicKey = {keys[0]}" in conf
    shown = wireguard.redact(conf)
    assert "PRIVATEKEY" not in shown and "PSKVALUE" not in shown
    assert "Address" not in wireguard.strip(conf)


def test_routes_only_for_peers_outside_the_interface_network():
    peers = [{"tunnel_address": "10.231.201.2/32"}, {"tunnel_address": "192.168.77.0/24"}]
    assert wireguard.routes_needed("10.231.201.1/24", peers) == {"192.168.77.0/24"}


def test_parse_dump_reads_handshakes():
    dump = "priv\tpub\t51820\toff\nKEY=\tPSK=\t10.0.0.3:4000\t10.231.201.2/32\t1764331200\t10\t20\t5\n"
    assert wireguard.parse_dump(dump)["KEY="]["latest_handshake"] == 1764331200


def test_the_expiry_timer_fires_at_the_utc_second():
    timer = units.expiry_timer("acme-support", datetime.datetime(2027, 6, 30, 16, 0, 5, tzinfo=datetime.UTC))
    assert "OnCalendar=2027-06-30 16:00:05 UTC" in timer
    assert "Unit=vpn-gateway-expire@acme-support.service" in timer
