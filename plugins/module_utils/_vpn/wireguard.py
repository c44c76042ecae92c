"""WireGuard on the gateway: the wg-quick file for boot, the live device kept in step with it.

The interface comes up through wg-quick@<interface>.service, which falls back to
wireguard-go where the kernel has no WireGuard; the module probes the kernel itself as
well, to say which one runs. Later changes go to the live device with ``wg syncconf`` and
``ip route``, never by restarting it, so the sessions of the other suppliers (and the old
key of a supplier in rotation) carry on.
"""

from __future__ import annotations

import ipaddress
import json

PROBE_INTERFACE = "lzwgprobe0"
SECRET_FIELDS = ("PrivateKey", "PresharedKey")


def render(interface_addresses, listen_port, private_key, peers, presharedkeys):
    """The wg-quick file. ``peers``: [{supplier, public_key, tunnel_addresses, key}]."""
    lines = [
        "# Managed by cyberveilig.landingzone (role vpn_gateway): replaced on every run.",
        "# The private key was generated on this gateway and never leaves it.",
        "[Interface]",
        f"Address = {', '.join(interface_addresses)}",
        f"ListenPort = {listen_port}",
        f"PrivateKey = {private_key}",
    ]
    for peer in sorted(peers, key=lambda p: (p["supplier"], p["key"])):
        lines += [
            "",
            f"# supplier {peer['supplier']} ({peer['key']} key)",
            "[Peer]",
            f"PublicKey = {peer['public_key']}",
            f"PresharedKey = {presharedkeys[peer['supplier']]}",
            f"AllowedIPs = {', '.join(peer['tunnel_addresses'])}",
        ]
    return "\n".join(lines) + "\n"


def strip(conf_text):
    """What ``wg syncconf`` reads: the wg-quick file without its wg-quick-only keys."""
    kept = []
    for line in conf_text.splitlines():
        key = line.split("=", 1)[0].strip()
        if key in ("Address", "DNS", "MTU", "Table", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig"):
            continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def redact(conf_text):
    """The file as a diff may show it: secrets replaced by a marker."""
    out = []
    for line in conf_text.splitlines():
        key = line.split("=", 1)[0].strip()
        out.append(f"{key} = (secret, not shown)" if key in SECRET_FIELDS else line)
    return "\n".join(out) + "\n"


def parse_dump(text):
    """``wg show <interface> dump``: the interface line, then one line per peer.

    Returns {public_key: {endpoint, allowed_ips, latest_handshake, rx, tx}}."""
    peers = {}
    for number, line in enumerate(text.splitlines()):
        fields = line.split("\t")
        if number == 0 or len(fields) < 8:
            continue
        public_key, _psk, endpoint, allowed, handshake, rx, tx, _keepalive = fields[:8]
        peers[public_key] = {
            "endpoint": None if endpoint == "(none)" else endpoint,
            "allowed_ips": [] if allowed == "(none)" else allowed.split(","),
            "latest_handshake": int(handshake),
            "rx_bytes": int(rx),
            "tx_bytes": int(tx),
        }
    return peers


def implementation(ip_link_json):
    """kernel or userspace (wireguard-go), from ``ip -d -j link show <interface>``."""
    try:
        links = json.loads(ip_link_json)
        kind = links[0].get("linkinfo", {}).get("info_kind")
    except (ValueError, IndexError, AttributeError):
        return None
    return "kernel" if kind == "wireguard" else "userspace"


def stray_routes(ip_route_json, family):
    """Routes on the interface other than the kernel's connected ones (``ip -j -4|-6 route show dev``).

    Every tunnel address lies inside the interface's own networks, so the connected routes carry
    them all: any other route into the tunnel, a default route above all, is one to remove."""
    try:
        routes = json.loads(ip_route_json or "[]")
    except ValueError:
        return set()
    stray = set()
    for route in routes:
        destination = route.get("dst")
        if route.get("protocol") == "kernel" or not destination:
            continue
        if destination == "default":
            destination = "0.0.0.0/0" if family == 4 else "::/0"
        stray.add(str(ipaddress.ip_network(destination, strict=False)))
    return stray
