"""A service's ``depends_on``: the services and hosts it needs back before it, checked as a graph.

The schema checks each entry's shape (a list of distinct names that an inventory could hold);
this checks what the schema cannot see: that every name is a service of the same card or a host
of the inventory, that it means one of them only, and that the services' needs make no cycle (a
drill could then bring none of them back first). A name the schema refused is reported there,
once, and skipped here.

A backup server is refused as a dependency: it is where every restore comes from, so a drill
never brings it back as a step of the restore (the worst case, restoring without it, starts from
the offsite copy instead).
"""

from collections.abc import Collection

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.json_schema_subset import compile_pattern, shown

from landingzone.card.validation import card_schema

FIELD = "depends_on"
# The inventory group whose hosts keep the backups (playbooks/backup.yml).
BACKUP_SERVER_GROUP = "backup_servers"
# Read once: card_schema() reads and parses the schema file on every call.
_SCHEMA = card_schema()
SERVICE_NAME_PATTERN = _SCHEMA["properties"]["services"]["items"]["properties"]["name"]["pattern"]
INVENTORY_NAME_PATTERN = _SCHEMA["$defs"]["inventory_name"]["pattern"]


def services_of(card) -> list[tuple[int, dict]]:
    """(index, service) of every service that has a name, as the card lists them; the schema
    reports a service or a list that is malformed."""
    services = card.get("services") if isinstance(card, dict) else None
    if not isinstance(services, list):
        return []
    return [
        (index, service)
        for index, service in enumerate(services)
        if isinstance(service, dict) and isinstance(service.get("name"), str)
    ]


def needs_of(service: dict) -> list[tuple[int, str]]:
    """(index, name) of each well-formed entry of a service's depends_on."""
    entries = service.get(FIELD)
    if not isinstance(entries, list):
        return []
    pattern = compile_pattern(INVENTORY_NAME_PATTERN)
    return [(index, name) for index, name in enumerate(entries) if isinstance(name, str) and pattern.search(name)]


def dependency_problems(
    card, inventory_hosts: Collection[str], backup_hosts: Collection[str] = ()
) -> list[tuple[tuple, str]]:
    """Every problem of the card's depends_on entries as (path, message), in card order."""
    services = services_of(card)
    service_names = [service["name"] for _, service in services]
    problems = []
    # Edges between services only: a host needs nothing, so a cycle runs through services alone.
    edges: dict[str, list[tuple[int, int, str]]] = {}
    for index, service in services:
        name = service["name"]
        own_hosts = service.get("hosts") if isinstance(service.get("hosts"), list) else []
        for entry, needed in needs_of(service):
            where = ("services", index, FIELD, entry)
            problem = _name_problem(name, needed, service_names, inventory_hosts, backup_hosts, own_hosts)
            if problem:
                problems.append((where, problem))
            elif needed in service_names:
                edges.setdefault(name, []).append((index, entry, needed))
    for cycle, (index, entry) in find_cycles(service_names, edges):
        problems.append(
            (
                ("services", index, FIELD, entry),
                f"makes a cycle: {' -> '.join(cycle)}; a drill could bring none of these services back first",
            )
        )
    return problems


def _name_problem(service, needed, service_names, inventory_hosts, backup_hosts, own_hosts) -> str | None:
    if needed == service:
        return f"service {shown(service)} names itself ({service} -> {service}); a service cannot wait for itself"
    is_service = needed in service_names
    is_host = needed in inventory_hosts
    if is_service and is_host:
        return (
            f"{needed!r} is both a service of this card and a host of the inventory; rename the service, "
            f"so that {FIELD} of {shown(service)} means one of them"
        )
    if not is_service and not is_host:
        # The names the card may use, as a hint; a name its own pattern refused is no hint.
        valid = [name for name in service_names if compile_pattern(SERVICE_NAME_PATTERN).search(name)]
        return (
            f"service {shown(service)} depends on {needed!r}, which is neither a service of this card "
            f"({', '.join(valid) or 'it names none'}) nor a host of the inventory"
        )
    if needed in own_hosts:
        return f"{needed!r} is a host of service {shown(service)} itself; a service's own hosts come back with it"
    if needed in backup_hosts:
        return (
            f"{needed!r} is a backup server (inventory group {BACKUP_SERVER_GROUP}): every restore comes from it, "
            "so it is no dependency to bring back"
        )
    return None


def find_cycles(order: list[str], edges: dict[str, list[tuple]]) -> list[tuple[list[str], tuple]]:
    """Each cycle among the services, once, as its names in order from the one first on the card
    back to it (``a -> b -> a``), with the (service index, entry index) of its first edge.

    ``edges`` maps a service to (service index, entry index, needed service) of each of its needs."""
    position = {name: rank for rank, name in enumerate(order)}
    found: dict[tuple[str, ...], tuple] = {}
    done: set[str] = set()
    # Walked without recursion: a card may list more services than Python's stack holds frames.
    for root in order:
        if root in done:
            continue
        # The path walked: (service, where its edge to the next one is written, its needs left).
        path = [(root, None, iter(edges.get(root, [])))]
        open_names = {root}
        while path:
            name, _, needs = path[-1]
            step = next(needs, None)
            if step is None:
                path.pop()
                open_names.discard(name)
                done.add(name)
                continue
            index, entry, needed = step
            path[-1] = (name, (index, entry), needs)
            if needed in open_names:
                loop = [(walked, where) for walked, where, _ in path]
                loop = loop[[walked for walked, _ in loop].index(needed) :]
                start = min(range(len(loop)), key=lambda at: position[loop[at][0]])
                loop = loop[start:] + loop[:start]
                found.setdefault(tuple(walked for walked, _ in loop), loop[0][1])
            elif needed not in done:
                path.append((needed, None, iter(edges.get(needed, []))))
                open_names.add(needed)
    return [([*names, names[0]], where) for names, where in found.items()]
