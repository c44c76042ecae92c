"""Which supplier roles a municipality's hosts carry, for their waiver requests in the evidence.

The collection's convention is that a supplier role is applied to the inventory group named
after it (playbooks/citizen_portal.yml: ``hosts: citizen_portal``). So the hosts of that group
in the municipality's inventory are the ones whose failing controls show the role's requests.
"""

from pathlib import Path

from landingzone.inventory import hosts_of, inventory_list


def requests_by_host(hosts_file: Path, requests: list[dict]) -> dict[str, list[dict]]:
    """{host: the waiver requests of the supplier roles whose group holds it}."""
    if not requests:
        return {}
    inventory = inventory_list(hosts_file)
    by_host: dict[str, list[dict]] = {}
    for request in requests:
        for host in sorted(hosts_of(inventory, request["role"])):
            by_host.setdefault(host, []).append(request)
    return by_host
