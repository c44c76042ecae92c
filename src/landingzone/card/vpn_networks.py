"""The card's VPN networks: tunnel addresses that cannot take a network.

A supplier's tunnel address becomes its WireGuard AllowedIPs or IPsec traffic selector,
and so a route on the gateway: ``0.0.0.0/0`` would hand the gateway's default route to
that supplier. So each tunnel address (one CIDR, or one per address family) lies inside
the gateway's tunnel network of its family (``vpn.tunnel_networks``) and does not hold the
gateway's own address there (the first of the network); no two suppliers, nor a
supplier's current and next key, share an address; and the tunnel networks stay clear of
the management and service networks. The vpn_gateway module refuses the same again.

Values the schema already refused (not a CIDR, not a list) are left to its messages.
"""

import ipaddress


def _network(value):
    try:
        return ipaddress.ip_network(value, strict=False) if isinstance(value, str) else None
    except ValueError:
        return None


def _networks(values) -> list:
    return [n for n in (_network(v) for v in values) if n is not None] if isinstance(values, list) else []


def _family(version: int) -> str:
    return "IPv4" if version == 4 else "IPv6"


def _gateway_address(tunnel):
    return next(iter(tunnel.hosts())) if tunnel.num_addresses > 2 else tunnel[0]


def _tunnel_network_problems(card, tunnels) -> list[tuple[tuple, str]]:
    vpn = card.get("vpn")
    others = {
        "management network": _networks(card.get("management_networks")),
        "service network": _networks(vpn.get("service_networks") if isinstance(vpn, dict) else None),
    }
    problems = []
    for index, tunnel in tunnels:
        where = ("vpn", "tunnel_networks", index)
        if any(other.version == tunnel.version for other_index, other in tunnels if other_index < index):
            problems.append((where, f"{tunnel}: one tunnel network per address family"))
        if tunnel.num_addresses < 4:
            problems.append((where, f"{tunnel} has no room for the gateway and a supplier"))
        for label, networks in others.items():
            problems += [(where, f"{tunnel} overlaps the {label} {o}") for o in networks if tunnel.overlaps(o)]
    return problems


def _addresses(vpn, field) -> list[tuple[tuple, object]]:
    """(path below the supplier's vpn, network) of a tunnel address given as one CIDR or a list."""
    value = vpn.get(field)
    if isinstance(value, list) and len(value) > 2:
        return []  # more than one per family: the schema says so
    if isinstance(value, list):
        return [((field, index), n) for index, n in enumerate(map(_network, value)) if n is not None]
    network = _network(value)
    return [((field,), network)] if network is not None else []


def _supplier_problems(card, tunnels) -> list[tuple[tuple, str]]:
    problems, seen = [], []
    suppliers = card.get("suppliers")
    # Of another type, the schema reports it; iterating it here would end in a traceback.
    for index, supplier in enumerate(suppliers if isinstance(suppliers, list) else []):
        vpn = supplier.get("vpn") if isinstance(supplier, dict) else None
        if not isinstance(vpn, dict):
            continue
        for field in ("tunnel_address", "next_tunnel_address"):
            families = set()
            for below, address in _addresses(vpn, field):
                where = ("suppliers", index, "vpn", *below)
                inside = [tunnel for _, tunnel in tunnels if tunnel.version == address.version]
                if address.version in families:
                    problems.append((where, f"{address}: one tunnel address per address family"))
                families.add(address.version)
                if not inside:
                    family = _family(address.version)
                    problems.append((where, f"{address}: vpn.tunnel_networks has no {family} network"))
                elif not address.subnet_of(inside[0]):
                    problems.append((where, f"{address} is not inside the gateway's tunnel network {inside[0]}"))
                elif _gateway_address(inside[0]) in address:
                    problems.append((where, f"{address} holds the gateway's own address {_gateway_address(inside[0])}"))
                for other_where, other in seen:
                    if other_where[:4] != where[:4] and other.version == address.version and other.overlaps(address):
                        owner = "the same entry" if other_where[1] == index else f"entry {other_where[1]}"
                        problems.append((where, f"{address} overlaps {other} (vpn.{other_where[3]} of {owner})"))
                seen.append((where, address))
    return problems


def vpn_network_problems(card) -> list[tuple[tuple, str]]:
    """Every problem of the card's VPN networks as (path, message)."""
    vpn = card.get("vpn")
    texts = vpn.get("tunnel_networks") if isinstance(vpn, dict) else None
    tunnels = [(index, n) for index, n in enumerate(map(_network, texts)) if n] if isinstance(texts, list) else []
    if not tunnels:
        return []  # the schema says what is missing
    return _tunnel_network_problems(card, tunnels) + _supplier_problems(card, tunnels)
