"""The gateway's own nftables table: it forwards each supplier's own host:port pairs and nothing else.

A drop-in in /etc/nftables.d/, which the baseline's ruleset includes; loaded on its own
(``nft -f`` of this file) it replaces only this table. Its chains run at a priority just
before the baseline's filter chains, and a drop here is final whatever the baseline accepts.
The baseline's forward chain drops by default too and takes new traffic only from the
sources the role declared (its tunnels): both tables must let a packet through.

Tunnel traffic is matched by where it comes out of a tunnel and by source address:
WireGuard only lets a peer send from its allowed IPs, and IPsec only from the traffic
selectors of its SA, so the source address identifies the supplier. Decrypted IPsec comes
out of ``ipsec0`` where strongSwan does ESP in user space (kernel-libipsec), and with the
kernel's ESP on the interface the ESP arrived on, marked by the IPsec policy
(``meta ipsec exists``): both are matched, so both modes enforce the same pairs.

The forward chain's policy is drop: established replies and each supplier's own pairs pass.
Every refused path has a named counter (nft ``log`` prints nothing inside a container):

- ``supplier_<name>_dropped``: a supplier to a host or port it was not given;
- ``vpn_supplier_to_supplier_dropped``: a supplier to the tunnel network (another supplier);
- ``vpn_to_management_dropped``: a supplier to the management networks, but for its own pairs;
- ``vpn_to_gateway_dropped``: a supplier to the gateway itself through its tunnel (ping excepted);
- ``vpn_tunnel_source_outside_dropped``: a tunnel address arriving outside the tunnels, to the
  gateway or through it (a supplier, or anyone, posing as a tunnel outside it);
- ``vpn_unknown_source_dropped``: tunnel traffic from an address no supplier holds;
- ``vpn_inbound_new_dropped``: a new connection into the tunnels;
- ``vpn_not_from_tunnel_dropped``: anything else forwarded, such as the outside interface to
  the inside networks.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import names

PRIORITY = "filter - 5"
FAMILIES = (("ip", 4), ("ip6", 6))
REFUSED_CHAIN = "refused_to_every_supplier"
IPSEC_POLICY = "meta ipsec exists"


def _family(address):
    return "ip" if ipaddress.ip_network(address, strict=False).version == 4 else "ip6"


def _set(items):
    items = sorted(items)
    return items[0] if len(items) == 1 else "{ " + ", ".join(items) + " }"


def _interfaces(interfaces):
    return _set(f'"{name}"' for name in interfaces)


def _by_family(networks):
    """{"ip": [...], "ip6": [...]} of the networks given as text or ip_network."""
    found = {"ip": [], "ip6": []}
    for net in networks:
        net = ipaddress.ip_network(str(net), strict=False)
        found["ip" if net.version == 4 else "ip6"].append(str(net))
    return found


def _per_family(networks, match, direction, then):
    """One rule per address family present (nft sets cannot mix them)."""
    rules = []
    for family, members in _by_family(networks).items():
        if members:
            rules.append(f"{match}{family} {direction} {_set(members)} {then}")
    return rules


def _counted_drop(counter):
    return f'counter name "{counter}" drop'


def supplier_chain(supplier):
    """The chain of one supplier, between markers the end-access script can find."""
    name = supplier["name"]
    lines = [f"    # begin supplier {name}", f"    chain {names.supplier_chain(name)} {{"]
    if supplier.get("active", True):
        for rule in supplier.get("access", []):
            family = _family(rule["address"])
            lines.append(f"        {family} daddr {rule['address']} {rule['proto']} dport {rule['port']} accept")
        lines.append(f"        jump {REFUSED_CHAIN}")
    lines.append(f"        {_counted_drop(names.supplier_counter(name))}")
    lines += ["    }", f"    # end supplier {name}"]
    return lines


def _sources(supplier):
    """The addresses a supplier's traffic may come from: its peers', or all it ever had once ended."""
    if supplier["active"] and supplier.get("sources"):
        return supplier["sources"]
    return sorted({*supplier["tunnel_addresses"], *supplier.get("next_tunnel_addresses", [])})


def render(active, ended, wireguard_interface, ipsec_interface, tunnel_networks, management_networks=()):
    """The whole drop-in. ``active`` suppliers get their access; ``ended`` ones a drop-only chain.

    ``ipsec_interface`` is empty when no supplier uses IPsec; otherwise IPsec traffic is taken
    from that interface (user-space ESP) and from the kernel's IPsec policy alike."""
    ipsec = bool(ipsec_interface)
    tunnels = [wireguard_interface] + ([ipsec_interface] if ipsec else [])
    tunnel_set = _interfaces(tunnels)
    outside = _interfaces([*tunnels, "lo"])
    everyone = sorted(
        [dict(s, active=True) for s in active] + [dict(s, active=False) for s in ended], key=lambda s: s["name"]
    )
    counters = sorted([*names.GENERAL_COUNTERS, *(names.supplier_counter(s["name"]) for s in everyone)])
    # What marks traffic that came out of a tunnel: its interface, or the kernel's IPsec policy.
    from_tunnel = [f"iifname {tunnel_set}"] + ([IPSEC_POLICY] if ipsec else [])
    posing = _per_family(
        tunnel_networks,
        f"iifname != {outside} meta ipsec missing " if ipsec else f"iifname != {outside} ",
        "saddr",
        _counted_drop("vpn_tunnel_source_outside_dropped"),
    )
    inbound = "vpn_inbound_new_dropped"
    dispatch = []
    for supplier in everyone:
        if supplier["protocol"] == "wireguard":
            comes_out = [f'iifname "{wireguard_interface}"']
        elif ipsec:
            comes_out = [f'iifname "{ipsec_interface}"', IPSEC_POLICY]
        else:
            continue
        jump = f"jump {names.supplier_chain(supplier['name'])}"
        for match in comes_out:
            dispatch += _per_family(_sources(supplier), f"{match} ", "saddr", jump)
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
        "    # The gateway forwards replies and each supplier's own pairs; everything else is counted and dropped.",
        "    chain forward {",
        f"        type filter hook forward priority {PRIORITY}; policy drop;",
        "        ct state established,related accept",
        "        ct state invalid drop",
        *(f"        {rule}" for rule in posing),
        *(f"        {rule}" for rule in dispatch),
        *(f"        {match} {_counted_drop('vpn_unknown_source_dropped')}" for match in from_tunnel),
        f"        oifname {tunnel_set} {_counted_drop(inbound)}",
        *(f"        {rule}" for rule in _per_family(tunnel_networks, "", "daddr", _counted_drop(inbound))),
        *([f"        rt ipsec exists {_counted_drop(inbound)}"] if ipsec else []),
        '        counter name "vpn_not_from_tunnel_dropped"',
        "    }",
        "",
        "    # Suppliers reach hosts behind the gateway, never the gateway itself (ping excepted).",
        "    chain input {",
        f"        type filter hook input priority {PRIORITY}; policy accept;",
        *(f"        {rule}" for rule in posing),
        *(f"        {match} ct state established,related accept" for match in from_tunnel),
        *(f"        {match} icmp type echo-request accept" for match in from_tunnel),
        *(f"        {match} icmpv6 type echo-request accept" for match in from_tunnel),
        *(f"        {match} {_counted_drop('vpn_to_gateway_dropped')}" for match in from_tunnel),
        "    }",
        "",
        "    # What no supplier reaches, but for its own pairs: another supplier, the management networks.",
        f"    chain {REFUSED_CHAIN} {{",
        *(
            f"        {rule}"
            for rule in _per_family(tunnel_networks, "", "daddr", _counted_drop("vpn_supplier_to_supplier_dropped"))
        ),
        *(
            f"        {rule}"
            for rule in _per_family(management_networks, "", "daddr", _counted_drop("vpn_to_management_dropped"))
        ),
        "    }",
    ]
    for supplier in everyone:
        lines += ["", *supplier_chain(supplier)]
    lines += ["}", ""]
    return "\n".join(lines)
