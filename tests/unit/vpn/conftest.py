"""A card's supplier and its keys for the VPN gateway's unit tests."""

import pytest
from vpn_testdata import wg_key


@pytest.fixture
def keys():
    return [wg_key() for _ in range(4)]


@pytest.fixture
def supplier(keys):
    return {
        "name": "acme-support",
        "contact": "support@acme.invalid",
        "vpn": {
            "protocol": "wireguard",
            "public_key": keys[0],
            "tunnel_address": ["10.231.201.2/32", "fd00:231:201::2/128"],
        },
        "access": [{"host": "app1", "port": 8443, "proto": "tcp"}, {"host": "app2", "port": 53, "proto": "udp"}],
        "expires": "2027-06-30T18:00:00+02:00",
    }
