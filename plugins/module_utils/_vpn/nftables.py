"""The gateway's own nftables table: each supplier reaches only its listed host:port/proto pairs.

A drop-in in /etc/nftables.d/, which the baseline's ruleset includes; loaded on its own
(``nft -f`` of this file) it replaces only this table. Its chains run at a priority just
before the baseline's filter chains, and a drop here is final whatever the baseline accepts.

Traffic from a tunnel interface is matched by source address: WireGuard only lets a peer
send from its allowed IPs, and IPsec only from the traffic selectors of its SA, so the
source address identifies the supplier. Everything else from or into a tunnel is dropped
and counted in a named counter (nft ``log`` prints nothing inside a container).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import names

PRIORITY = "filter - 5"


def _family(address):
    return "ip" if ipaddress.ip_network(address, strict=False).version == 4 else "ip6"


def _set(items):
    items = sorted(items)
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def _interfaces(interfaces):
    return _set(f'"{name}"' for name in interfaces)


def supplier_chain(supplier, interface):
    """The chain of one supplier, between markers the end-access script can find."""
    name = supplier["name"]
    lines = [f"    # begin supplier {name}", f"    chain {names.supplier_chain(name)} {{"]
    for rule in supplier.get("access", []) if supplier.get("active", True) else []:
        family = _family(rule["address"])
        lines.append(f"        {family} daddr {rule['address']} {rule['proto']} dport {rule['port']} accept")
    lines.append(f'        counter name "{names.supplier_counter(name)}" drop')
    lines += ["    }", f"    # end supplier {name}"]
    return lines


def render(active, ended, wireguard_interface, ipsec_interface):
    """The whole drop-in. ``active`` suppliers get their access; ``ended`` ones a drop-only chain."""
    tunnels = [wireguard_interface] + ([ipsec_interface] if ipsec_interface else [])
    tunnel_set = _interfaces(tunnels)
    everyone = sorted(
        [dict(s, active=True) for s in active] + [dict(s, active=False) for s in ended], key=lambda s: s["name"]
    )
    counters = sorted([*names.GENERAL_COUNTERS, *(names.supplier_counter(s["name"]) for s in everyone)])
    dispatch = []
    for supplier in everyone:
        interface = wireguard_interface if supplier["protocol"] == "wireguard" else ipsec_interface
        if not interface:
            continue
        sources = supplier.get("sources") or [supplier["tunnel_address"]]
        if supplier.get("next_tunnel_address") and not supplier["active"]:
            sources = sorted({*sources, supplier["next_tunnel_address"]})
        for family in ("ip", "ip6"):
            members = [s for s in sources if _family(s) == family]
            if members:
                chain = names.supplier_chain(supplier["name"])
                dispatch.append(f'        iifname "{interface}" {family} saddr {_set(members)} jump {chain}')
    lines = [
        "#!/usr/sbin/nft -f",
        "# Managed by cyberveilig.landingzone (role vpn_gateway): replaced on every run.",
        "# Loaded by the baseline's ruleset (include of /etc/nftables.d/*.nft) and on its own",
        "# by the role; only table inet vpn_gateway is replaced.",
        f"table inet {names.TABLE}",
        f"delete table inet {names.TABLE}",
        "",
        f"table inet {names.TABLE} {{",
        *(f"    counter {counter} {{ }}" for counter in counters),
        "",
        "    chain forward {",
        f"        type filter hook forward priority {PRIORITY}; policy accept;",
        f"        iifname {tunnel_set} ct state established,related accept",
        f"        oifname {tunnel_set} ct state established,related accept",
        *dispatch,
        f'        iifname {tunnel_set} counter name "vpn_unknown_source_dropped" drop',
        f'        oifname {tunnel_set} counter name "vpn_inbound_new_dropped" drop',
        "    }",
        "",
        "    # Suppliers reach hosts behind the gateway, never the gateway itself (ping excepted).",
        "    chain input {",
        f"        type filter hook input priority {PRIORITY}; policy accept;",
        f"        iifname {tunnel_set} ct state established,related accept",
        f"        iifname {tunnel_set} icmp type echo-request accept",
        f"        iifname {tunnel_set} icmpv6 type echo-request accept",
        f'        iifname {tunnel_set} counter name "vpn_to_gateway_dropped" drop',
        "    }",
    ]
    for supplier in everyone:
        lines += ["", *supplier_chain(supplier, wireguard_interface)]
    lines += ["}", ""]
    return "\n".join(lines)
