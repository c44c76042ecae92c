"""What the gateway carries, decided from the card and what the gateway remembers."""

import copy
import datetime

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import plan
from vpn_testdata import ADDRESSES, NOW


def build(suppliers, ended=None, rotated=None, handshakes=None, now=NOW, revoke=()):
    return plan.build(suppliers, ADDRESSES, ended or {}, rotated or {}, handshakes or {}, now, revoke=revoke)


def test_a_supplier_gets_one_peer_and_its_access(supplier, keys):
    decided = build([supplier])
    (active,) = decided["active"]
    assert [p["public_key"] for p in active["peers"]] == [keys[0]]
    assert active["access"][0] == {"host": "app1", "address": "10.231.250.11", "port": 8443, "proto": "tcp"}
    assert active["expires"] == datetime.datetime(2027, 6, 30, 16, 0, tzinfo=datetime.UTC)


def test_rotation_carries_both_keys_until_the_next_one_shakes_hands(supplier, keys):
    supplier["vpn"].update(next_public_key=keys[1], next_tunnel_address="10.231.201.3/32")
    (active,) = build([supplier])["active"]
    assert [(p["public_key"], p["tunnel_address"]) for p in active["peers"]] == [
        (keys[0], "10.231.201.2/32"),
        (keys[1], "10.231.201.3/32"),
    ]
    assert active["sources"] == ["10.231.201.2/32", "10.231.201.3/32"]
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
    other["vpn"].update(public_key=keys[3], tunnel_address="10.231.201.0/30")
    with pytest.raises(plan.PlanError, match="overlaps tunnel_address 10.231.201.2/32 of supplier acme-support"):
        build([supplier, other])
