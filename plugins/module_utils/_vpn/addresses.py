"""The gateway's tunnel networks, and tunnel addresses that cannot take a network.

A supplier's tunnel address becomes its WireGuard AllowedIPs or its IPsec traffic
selector, and so a route into its tunnel: ``0.0.0.0/0`` there would route the gateway's
default route to that supplier. So every tunnel address lies inside the gateway's tunnel
network of its family (one IPv4 and one IPv6 network at most), holds neither the
gateway's own address there nor another supplier's, and the tunnel networks stay clear
of the management and service networks. The card checks the same before any host is
touched; the module checks it again here, whoever called it.
"""

from __future__ import annotations

import ipaddress


class AddressError(ValueError):
    """Bad input, named by its place: ``tunnel_networks[1]: ...``."""


def refuse_zone(text, where):
    """Python's ipaddress takes anything after ``%`` as an IPv6 zone and writes it back out, so
    a zone would carry its text (quotes, newlines, rules) into the WireGuard file and the ruleset."""
    if "%" in str(text):
        raise AddressError(f"{where}: {text!r}: a zone (%...) has no place in a tunnel or firewall address")


def network(text, where):
    refuse_zone(text, where)
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError as exc:
        raise AddressError(f"{where}: {text!r} is not a valid address or CIDR ({exc})") from None


def as_list(value):
    """A card's tunnel address: one CIDR, or a list of them (one per address family)."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def family_word(version):
    return "IPv4" if version == 4 else "IPv6"


def gateway_address(tunnel_network):
    """The gateway takes the first address of each tunnel network."""
    return next(iter(tunnel_network.hosts())) if tunnel_network.num_addresses > 2 else tunnel_network[0]


def checked_tunnel_networks(texts, others, where="tunnel_networks"):
    """The tunnel networks, one per family, each with room for suppliers and clear of ``others``
    ({label: [networks]}, e.g. the management and service networks)."""
    found = [network(text, f"{where}[{index}]") for index, text in enumerate(texts or [])]
    if not found:
        raise AddressError(f"{where}: needs the gateway's tunnel network (an IPv4 network, an IPv6 one, or both)")
    for index, tunnel in enumerate(found):
        if any(earlier.version == tunnel.version for earlier in found[:index]):
            raise AddressError(f"{where}[{index}]: {tunnel}: one tunnel network per address family")
        if tunnel.num_addresses < 4:
            raise AddressError(f"{where}[{index}]: {tunnel} has no room for the gateway and a supplier")
        for label, networks in others.items():
            for other in networks:
                if other.version == tunnel.version and other.overlaps(tunnel):
                    raise AddressError(f"{where}[{index}]: {tunnel} overlaps {label} network {other}")
    return found


def check_tunnel_address(value, where, tunnel_networks):
    """One supplier's tunnel address (``value``: a CIDR or a list of them), as networks.

    Each lies inside the tunnel network of its family and does not hold the gateway's address."""
    texts = as_list(value)
    if not texts:
        raise AddressError(f"{where}: is required")
    found = []
    for index, text in enumerate(texts):
        at = where if len(texts) == 1 and not isinstance(value, (list, tuple)) else f"{where}[{index}]"
        address = network(text, at)
        if any(earlier.version == address.version for earlier in found):
            raise AddressError(f"{at}: {address}: one tunnel address per address family")
        inside = [tunnel for tunnel in tunnel_networks if tunnel.version == address.version]
        if not inside:
            raise AddressError(f"{at}: {address}: the gateway has no {family_word(address.version)} tunnel network")
        if not address.subnet_of(inside[0]):
            raise AddressError(f"{at}: {address} is not inside the gateway's tunnel network {inside[0]}")
        if gateway_address(inside[0]) in address:
            raise AddressError(f"{at}: {address} holds the gateway's own address {gateway_address(inside[0])}")
        found.append(address)
    return found


def check_disjoint(entries):
    """``entries``: [(where, [networks])]; no two entries share an address. Two suppliers
    sharing addresses would share each other's rules, and WireGuard cannot route them."""
    seen = []
    for where, networks in entries:
        for address in networks:
            for other_where, other in seen:
                if other_where != where and other.version == address.version and other.overlaps(address):
                    raise AddressError(f"{where}: {address} overlaps {other} ({other_where})")
            seen.append((where, address))
