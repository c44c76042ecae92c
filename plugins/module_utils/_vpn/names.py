"""Names the gateway derives from a supplier's name, shared by every file it writes.

Supplier names are lower-case letters, digits and hyphens (the card's schema); nft
identifiers take no hyphen, so it becomes an underscore. The mapping is one to one
because a supplier name never holds an underscore.
"""

from __future__ import annotations

TABLE = "vpn_gateway"
CONFIG_DIR = "/etc/vpn_gateway"
STATE_DIR = "/var/lib/vpn_gateway"
GATEWAY_FILE = CONFIG_DIR + "/gateway.json"
ENDED_FILE = STATE_DIR + "/ended.json"
ROTATED_FILE = STATE_DIR + "/rotated.json"
DROPIN_FILE = "/etc/nftables.d/vpn_gateway.nft"
SWANCTL_FILE = "/etc/swanctl/conf.d/vpn_gateway.conf"
UNIT_DIR = "/etc/systemd/system"
EXPIRY_TIMER_PREFIX = "vpn-gateway-expire-"
# Counters of the refused paths that are no one supplier's: read by tests and the status module
# (what each counts: module_utils/_vpn/nftables.py).
GENERAL_COUNTERS = (
    "vpn_supplier_to_supplier_dropped",
    "vpn_to_management_dropped",
    "vpn_to_gateway_dropped",
    "vpn_tunnel_source_outside_dropped",
    "vpn_unknown_source_dropped",
    "vpn_inbound_new_dropped",
    "vpn_not_from_tunnel_dropped",
)


def nft_name(supplier):
    return supplier.replace("-", "_")


def supplier_chain(supplier):
    return f"supplier_{nft_name(supplier)}"


def supplier_counter(supplier):
    return f"supplier_{nft_name(supplier)}_dropped"


def expiry_timer(supplier):
    return f"{EXPIRY_TIMER_PREFIX}{supplier}.timer"


def psk_file(interface, supplier):
    return f"/etc/wireguard/{interface}.psk.d/{supplier}.psk"


def private_key_file(interface):
    return f"/etc/wireguard/{interface}.key"


def wireguard_conf(interface):
    return f"/etc/wireguard/{interface}.conf"
