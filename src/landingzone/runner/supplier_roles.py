"""Which supplier roles a municipality's hosts carry, for their waiver requests in the evidence.

The collection's convention is that a supplier role is applied to the inventory group named
after it (playbooks/citizen_portal.yml: ``hosts: citizen_portal``). So the hosts of that group
in the municipality's inventory are the ones whose failing controls show the role's requests.
"""

from collections.abc import Mapping


def requests_by_host(groups: Mapping[str, set[str]], requests: list[dict]) -> dict[str, list[dict]]:
    """{host: the waiver requests of the supplier roles whose group holds it}; ``groups`` is each
    inventory group with its hosts, as read when the municipality's inputs were validated."""
    by_host: dict[str, list[dict]] = {}
    for request in requests:
        for host in sorted(groups.get(request["role"], ())):
            by_host.setdefault(host, []).append(request)
    return by_host
