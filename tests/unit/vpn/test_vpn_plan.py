"""What the gateway carries, decided from the card and what the gateway remembers."""

import copy
import datetime
import re

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import addresses, plan
from vpn_testdata import ADDRESSES, NOW, TUNNEL


def build(suppliers, ended=None, rotated=None, handshakes=None, now=NOW, revoke=(), tunnel=TUNNEL):
    return plan.build(suppliers, ADDRESSES, ended or {}, rotated or {}, handshakes or {}, now, tunnel, revoke=revoke)


def test_a_supplier_gets_one_peer_and_its_access(supplier, keys):
    decided = build([supplier])
    (active,) = decided["active"]
    assert [p["public_key"] for p in active["peers"]] == [keys[0]]
    # One rule per address family of the host.
    assert active["access"][:2] == [
        {"host": "app1", "address": "10.231.250.11", "port": 8443, "proto": "tcp"},
        {"host": "app1", "address": "fd00:231:250::11", "port": 8443, "proto": "tcp"},
    ]
    assert active["expires"] == datetime.datetime(2027, 6, 30, 16, 0, tzinfo=datetime.UTC)


def test_rotation_carries_both_keys_until_the_next_one_shakes_hands(supplier, keys):
    supplier["vpn"].update(next_public_key=keys[1], next_tunnel_address=["10.231.201.3/32", "fd00:231:201::3/128"])
    (active,) = build([supplier])["active"]
    assert [(p["public_key"], p["tunnel_addresses"]) for p in active["peers"]] == [
        (keys[0], ["10.231.201.2/32", "fd00:231:201::2/128"]),
        (keys[1], ["10.231.201.3/32", "fd00:231:201::3/128"]),
    ]
    assert active["sources"] == ["10.231.201.2/32", "10.231.201.3/32", "fd00:231:201::2/128", "fd00:231:201::3/128"]
    decided = build([supplier], handshakes={keys[1]: 1764331200})
    assert [p["public_key"] for p in decided["active"][0]["peers"]] == [keys[1]]
    assert decided["rotated"] == {"acme-support": keys[1]}
    # Later runs keep only the next key, even without a live handshake.
    again = build([supplier], rotated=decided["rotated"])
    assert [p["public_key"] for p in again["active"][0]["peers"]] == [keys[1]]


def test_a_passed_expiry_ends_access(supplier):
    supplier["expires"] = "2026-11-28T11:59:59Z"
    decided = build([supplier])
    assert decided["active"] == []
    assert decided["ended"]["acme-support"]["reason"] == "expired"


def test_a_later_expiry_on_the_card_opens_access_again(supplier):
    ended = {"acme-support": {"reason": "expired", "expires": "2026-11-28T10:00:00+00:00", "wireguard_keys": []}}
    assert [s["name"] for s in build([supplier], ended=ended)["active"]] == ["acme-support"]


def test_a_revocation_holds_for_its_key_and_a_new_key_opens_access(supplier, keys):
    decided = build([supplier], revoke=["acme-support"])
    assert decided["active"] == []
    assert decided["ended"]["acme-support"]["wireguard_keys"] == [keys[0]]
    assert build([supplier], ended=decided["ended"])["active"] == []
    renewed = copy.deepcopy(supplier)
    renewed["vpn"]["public_key"] = keys[2]
    assert [s["name"] for s in build([renewed], ended=decided["ended"])["active"]] == ["acme-support"]


def test_revoking_a_supplier_not_on_the_card_is_an_error(supplier):
    with pytest.raises(plan.PlanError, match="revoke: 'nobody'"):
        build([supplier], revoke=["nobody"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s["vpn"].update(tunnel_address="10.231.201.300/32"),
            r"suppliers\[0\] \(acme-support\).vpn.tunnel_address",
        ),
        (lambda s: s["access"][0].update(port=70000), r"access\[0\].port: must be a port number"),
        (lambda s: s["access"][0].update(host="nowhere"), r"access\[0\].host: 'nowhere' has no IP address"),
        (lambda s: s["vpn"].update(public_key="short"), r"vpn.public_key: 'short' is not a WireGuard public key"),
        (lambda s: s.update(expires="2027-06-30T18:00:00"), r"expires: .* has no time zone"),
    ],
)
def test_bad_supplier_input_names_the_field(supplier, change, message):
    change(supplier)
    with pytest.raises(plan.PlanError, match=message):
        build([supplier])


def test_overlapping_tunnel_addresses_are_refused(supplier, keys):
    other = copy.deepcopy(supplier)
    other.update(name="other")
    other["vpn"].update(public_key=keys[3], tunnel_address="10.231.201.2/31")
    with pytest.raises(
        plan.PlanError,
        match=re.escape(
            "suppliers[1] (other).vpn.tunnel_address: 10.231.201.2/31 overlaps 10.231.201.2/32 "
            "(suppliers[0] (acme-support).vpn.tunnel_address)"
        ),
    ):
        build([supplier, other])


def test_the_next_address_may_not_overlap_the_current_one(supplier, keys):
    supplier["vpn"].update(next_public_key=keys[1], next_tunnel_address="fd00:231:201::2/127")
    with pytest.raises(plan.PlanError, match=r"next_tunnel_address: fd00:231:201::2/127 overlaps fd00:231:201::2/128"):
        build([supplier])


@pytest.mark.parametrize(
    ("tunnel_address", "message"),
    [
        # The default route, of either family: the gateway would route everything into that tunnel.
        ("0.0.0.0/0", "0.0.0.0/0 is not inside the gateway's tunnel network 10.231.201.0/24"),
        ("::/0", "::/0 is not inside the gateway's tunnel network fd00:231:201::/64"),
        (["10.231.201.2/32", "::/0"], r"\[1\]: ::/0 is not inside"),
        # Half the internet, a management network, a host behind the gateway.
        ("128.0.0.0/1", "128.0.0.0/1 is not inside"),
        ("10.231.209.0/24", "10.231.209.0/24 is not inside"),
        ("10.231.250.11/32", "10.231.250.11/32 is not inside"),
        # The whole tunnel network, or a part of it that holds the gateway's own address.
        ("10.231.201.0/24", "holds the gateway's own address 10.231.201.1"),
        ("fd00:231:201::/120", "holds the gateway's own address fd00:231:201::1"),
        # Two of one family.
        (["10.231.201.2/32", "10.231.201.3/32"], r"\[1\]: 10.231.201.3/32: one tunnel address per"),
    ],
)
def test_a_tunnel_address_that_could_take_a_network_is_refused(supplier, tunnel_address, message):
    supplier["vpn"]["tunnel_address"] = tunnel_address
    with pytest.raises(plan.PlanError, match=r"suppliers\[0\] \(acme-support\).vpn.tunnel_address.*" + message):
        build([supplier])


@pytest.mark.parametrize("field", ["tunnel_address", "next_tunnel_address"])
def test_a_tunnel_address_with_a_zone_is_refused_before_it_reaches_a_file(supplier, keys, field):
    """ipaddress would keep the text after % and write it into AllowedIPs and the ruleset."""
    hostile = 'fd00:231:201::7%x" accept; #/128'
    supplier["vpn"].update(next_public_key=keys[1], next_tunnel_address="10.231.201.3/32")
    supplier["vpn"][field] = ["10.231.201.9/32", hostile]
    with pytest.raises(plan.PlanError, match=rf"vpn.{field}\[1\]: .*a zone \(%...\) has no place"):
        build([supplier])


def test_a_host_address_with_a_zone_is_refused(supplier):
    supplier["access"][0]["host"] = 'fd00:231:250::11%x" accept'
    with pytest.raises(plan.PlanError, match=r"access\[0\].host: .*a zone \(%...\) has no place"):
        build([supplier])


def test_a_tunnel_address_of_a_family_the_gateway_has_no_network_for_is_refused(supplier):
    ipv4_only = addresses.checked_tunnel_networks(["10.231.201.0/24"], {})
    with pytest.raises(plan.PlanError, match="the gateway has no IPv6 tunnel network"):
        build([supplier], tunnel=ipv4_only)


def test_a_host_inside_the_tunnel_network_is_refused(supplier):
    supplier["access"][0]["host"] = "10.231.201.7"
    with pytest.raises(
        plan.PlanError, match=r"access\[0\].host: '10.231.201.7' \(10.231.201.7\) lies in the gateway's"
    ):
        build([supplier])


@pytest.mark.parametrize(
    ("tunnel", "others", "message"),
    [
        ([], {}, "needs the gateway's tunnel network"),
        (["10.0.0.0/8"], {"management": ["10.20.0.0/24"]}, r"tunnel_networks\[0\]: 10.0.0.0/8 overlaps management"),
        (["fd00::/8"], {"service": ["fd00:1::/64"]}, "overlaps service network fd00:1::/64"),
        (["10.1.0.0/24", "10.2.0.0/24"], {}, r"tunnel_networks\[1\]: 10.2.0.0/24: one tunnel network per"),
        (["10.1.0.0/31"], {}, "no room for the gateway and a supplier"),
        (["10.1.0.300/24"], {}, "is not a valid address"),
    ],
)
def test_tunnel_networks_stay_clear_of_the_management_and_service_networks(tunnel, others, message):
    parsed = {label: [addresses.network(n, label) for n in networks] for label, networks in others.items()}
    with pytest.raises(plan.PlanError, match=message):
        addresses.checked_tunnel_networks(tunnel, parsed)
