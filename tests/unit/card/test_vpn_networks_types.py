"""The card's VPN network checks leave a value of the wrong type to the schema, which names
its field: a list of suppliers that is a boolean (found by the card's property test) ended
in a Python traceback."""

import pytest

from landingzone.card.vpn_networks import vpn_network_problems

TUNNELS = {"tunnel_networks": ["10.231.201.0/24", "fd00:231:201::/64"]}


@pytest.mark.parametrize(
    "suppliers", [True, 5, "acme", {"name": "acme"}, [True, {"vpn": True}, {"vpn": {"tunnel_address": 5}}]]
)
def test_suppliers_of_another_type_are_left_to_the_schema(suppliers):
    assert vpn_network_problems({"vpn": TUNNELS, "suppliers": suppliers}) == []


def test_a_supplier_tunnel_address_outside_the_tunnels_is_still_found():
    card = {"vpn": TUNNELS, "suppliers": [{"vpn": {"tunnel_address": "10.9.9.2/32"}}]}
    [(where, message)] = vpn_network_problems(card)
    assert where == ("suppliers", 0, "vpn", "tunnel_address") and "not inside" in message
