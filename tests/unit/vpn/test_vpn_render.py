"""The files the gateway writes: nftables drop-in, wg-quick file, swanctl, timers."""

import datetime
import subprocess

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import nftables, plan, units, wireguard
from vpn_testdata import ADDRESSES, MANAGEMENT, NOW, TUNNEL


def build(suppliers):
    return plan.build(suppliers, ADDRESSES, {}, {}, {}, NOW, TUNNEL)


def render(decided, ipsec_interface="", ended=()):
    return nftables.render(decided["active"], list(ended), "lzwg0", ipsec_interface, TUNNEL, MANAGEMENT)


def chain(text, name):
    """The rule lines of one chain."""
    body = text.split(f"    chain {name} {{\n", 1)[1].split("\n    }\n", 1)[0]
    return [line.strip() for line in body.splitlines()]


@pytest.fixture
def decided(supplier):
    return build([supplier])


def test_the_dropin_lets_a_supplier_reach_only_its_pairs_over_both_families(decided):
    text = render(decided)
    forward = chain(text, "forward")
    assert 'iifname "lzwg0" ip saddr 10.231.201.2/32 jump supplier_acme_support' in forward
    assert 'iifname "lzwg0" ip6 saddr fd00:231:201::2/128 jump supplier_acme_support' in forward
    assert chain(text, "supplier_acme_support") == [
        "ip daddr 10.231.250.11 tcp dport 8443 accept",
        "ip6 daddr fd00:231:250::11 tcp dport 8443 accept",
        "ip daddr 10.231.250.12 udp dport 53 accept",
        "ip6 daddr fd00:231:250::12 udp dport 53 accept",
        "jump refused_to_every_supplier",
        'counter name "supplier_acme_support_dropped" drop',
    ]
    assert "counter supplier_acme_support_dropped { }" in text


def test_the_forward_chain_drops_by_default_and_counts_every_refused_path(decided):
    forward = chain(render(decided), "forward")
    assert forward[0] == "type filter hook forward priority filter - 5; policy drop;"
    assert forward[1:3] == ["ct state established,related accept", "ct state invalid drop"]
    # A tunnel address outside the tunnels is refused before anything could take it for a supplier.
    posing = 'counter name "vpn_tunnel_source_outside_dropped" drop'
    assert forward[3:5] == [
        f'iifname != {{ "lo", "lzwg0" }} ip saddr 10.231.201.0/24 {posing}',
        f'iifname != {{ "lo", "lzwg0" }} ip6 saddr fd00:231:201::/64 {posing}',
    ]
    assert forward[-5:] == [
        'iifname "lzwg0" counter name "vpn_unknown_source_dropped" drop',
        'oifname "lzwg0" counter name "vpn_inbound_new_dropped" drop',
        'ip daddr 10.231.201.0/24 counter name "vpn_inbound_new_dropped" drop',
        'ip6 daddr fd00:231:201::/64 counter name "vpn_inbound_new_dropped" drop',
        'counter name "vpn_not_from_tunnel_dropped"',
    ]
    assert chain(render(decided), "refused_to_every_supplier") == [
        'ip daddr 10.231.201.0/24 counter name "vpn_supplier_to_supplier_dropped" drop',
        'ip6 daddr fd00:231:201::/64 counter name "vpn_supplier_to_supplier_dropped" drop',
        'ip daddr 10.231.209.0/24 counter name "vpn_to_management_dropped" drop',
        'ip6 daddr fd00:231:209::/64 counter name "vpn_to_management_dropped" drop',
    ]


def test_ipsec_is_filtered_in_user_space_and_by_the_kernels_policy_alike(supplier):
    supplier["vpn"] = {
        "protocol": "ipsec",
        "certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    }
    supplier["vpn"]["tunnel_address"] = ["10.231.201.2/32", "fd00:231:201::2/128"]
    text = render(build([supplier]), "ipsec0")
    forward = chain(text, "forward")
    for match in ('iifname "ipsec0"', "meta ipsec exists"):
        assert f"{match} ip saddr 10.231.201.2/32 jump supplier_acme_support" in forward
        assert f"{match} ip6 saddr fd00:231:201::2/128 jump supplier_acme_support" in forward
    assert 'iifname { "ipsec0", "lzwg0" } counter name "vpn_unknown_source_dropped" drop' in forward
    assert 'meta ipsec exists counter name "vpn_unknown_source_dropped" drop' in forward
    assert 'rt ipsec exists counter name "vpn_inbound_new_dropped" drop' in forward
    assert (
        'iifname != { "ipsec0", "lo", "lzwg0" } meta ipsec missing ip saddr 10.231.201.0/24 '
        'counter name "vpn_tunnel_source_outside_dropped" drop'
    ) in forward
    assert 'meta ipsec exists counter name "vpn_to_gateway_dropped" drop' in chain(text, "input")


@pytest.mark.parametrize("ipsec_interface", ["", "ipsec0"])
def test_the_dropin_is_valid_nft(decided, tmp_path, ipsec_interface):
    """nft itself parses the file (``-c`` checks without loading)."""
    path = tmp_path / "vpn_gateway.nft"
    path.write_text(render(decided, ipsec_interface))
    done = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr


def test_an_ended_supplier_keeps_only_a_drop(supplier):
    supplier["expires"] = "2026-01-01T00:00:00Z"
    decided = build([supplier])
    text = nftables.render([], decided["ended_suppliers"], "lzwg0", "", TUNNEL, MANAGEMENT)
    assert "dport 8443" not in text
    assert chain(text, "supplier_acme_support") == ['counter name "supplier_acme_support_dropped" drop']
    assert 'iifname "lzwg0" ip6 saddr fd00:231:201::2/128 jump supplier_acme_support' in text


def test_the_wireguard_file_carries_both_families_and_hides_its_keys_in_diffs(decided, keys):
    peers = [dict(p, supplier="acme-support") for p in decided["active"][0]["peers"]]
    addresses = ["10.231.201.1/24", "fd00:231:201::1/64"]
    conf = wireguard.render(addresses, 51820, "PRIVATEKEY", peers, {"acme-support": "PSKVALUE"})
    assert f"PublicKey = {keys[0]}" in conf
    assert "Address = 10.231.201.1/24, fd00:231:201::1/64" in conf
    assert "AllowedIPs = 10.231.201.2/32, fd00:231:201::2/128" in conf
    shown = wireguard.redact(conf)
    assert "PRIVATEKEY" not in shown and "PSKVALUE" not in shown
    assert "Address" not in wireguard.strip(conf)


def test_every_route_into_the_tunnel_but_the_connected_ones_is_stray():
    ipv4 = (
        '[{"dst":"default","dev":"lzwg0","scope":"link"},{"dst":"10.231.201.0/24","protocol":"kernel"},'
        '{"dst":"192.168.77.0/24","protocol":"boot"}]'
    )
    assert wireguard.stray_routes(ipv4, 4) == {"0.0.0.0/0", "192.168.77.0/24"}
    ipv6 = '[{"dst":"fd00:231:201::/64","protocol":"kernel"},{"dst":"default","protocol":"boot"}]'
    assert wireguard.stray_routes(ipv6, 6) == {"::/0"}


def test_parse_dump_reads_handshakes():
    dump = "priv\tpub\t51820\toff\nKEY=\tPSK=\t10.0.0.3:4000\t10.231.201.2/32\t1764331200\t10\t20\t5\n"
    assert wireguard.parse_dump(dump)["KEY="]["latest_handshake"] == 1764331200


def test_the_expiry_timer_fires_at_the_utc_second():
    timer = units.expiry_timer("acme-support", datetime.datetime(2027, 6, 30, 16, 0, 5, tzinfo=datetime.UTC))
    assert "OnCalendar=2027-06-30 16:00:05 UTC" in timer
    assert "Unit=vpn-gateway-expire@acme-support.service" in timer
