"""A fixed clock, the gateway's networks, host addresses and real WireGuard keys for the VPN gateway's unit tests."""

import datetime
import subprocess

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import addresses

NOW = datetime.datetime(2026, 11, 28, 12, 0, tzinfo=datetime.UTC)
# Dual stack, as the lab: every host and every supplier has an address of each family.
ADDRESSES = {"app1": ["10.231.250.11", "fd00:231:250::11"], "app2": ["10.231.250.12", "fd00:231:250::12"]}
TUNNEL_TEXT = ["10.231.201.0/24", "fd00:231:201::/64"]
MANAGEMENT_TEXT = ["10.231.209.0/24", "fd00:231:209::/64"]
TUNNEL = addresses.checked_tunnel_networks(TUNNEL_TEXT, {})
MANAGEMENT = [addresses.network(text, "management") for text in MANAGEMENT_TEXT]


def wg_key() -> str:
    """A real WireGuard public key (wg genkey | wg pubkey), so patterns are tested on real keys."""
    private = subprocess.run(["wg", "genkey"], capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
    public = subprocess.run(["wg", "pubkey"], input=private.stdout, capture_output=True, text=True, check=True)
    return public.stdout.strip()
