"""Addresses the lab gives to containers that its inventory does not place: a drill's targets,
and the IPv6 address of its S3 endpoint.

Such a container always gets an explicit address. Left to podman, it would take the address after
the last one podman gave on a network of that name, a record that outlives the network itself, so
that address may be one a lab host is about to ask for: that host then fails to start ("requested
IP address ... is not available in range set")."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from landingzone.errors import LandingzoneError

if TYPE_CHECKING:
    from landingzone.lab.municipality_lab import Lab
    from landingzone.lab.podman import Podman


def free_address(lab: Lab, taken: set[str], version: int = 4, purpose: str = "a drill target") -> str:
    """The highest address of the lab's subnet of this IP version (4 or 6) that no lab host
    plans and no container on the network holds (`taken`): far from the planned ones. Podman
    gives an address to one container at a time, so the target never shares its source's."""
    subnet = lab.subnet if version == 4 else lab.subnet6
    planned = {host.address if version == 4 else host.address6 for host in lab.hosts}
    used = {ipaddress.ip_address(address) for address in planned | taken if address}
    network = ipaddress.ip_network(subnet)
    gateway = network.network_address + 1  # podman's
    address = network.broadcast_address - 1
    while address > gateway:
        if address not in used:
            return str(address)
        address -= 1
    raise LandingzoneError(f"lab {lab.municipality}: no free address left in {subnet} for {purpose}")


def addresses_in_use(podman: Podman, network: str) -> set[str]:
    """Every address, of both families, that a container on the lab network holds."""
    names = podman.text("ps", "--all", "--filter", f"network={network}", "--format", "{{.Names}}").split()
    taken = set()
    for name in names:
        details = podman.inspect("container", name) or {}
        for settings in (details.get("NetworkSettings", {}).get("Networks") or {}).values():
            taken.update(settings.get(key) for key in ("IPAddress", "GlobalIPv6Address") if settings.get(key))
    return taken
