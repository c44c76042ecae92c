"""The order in which a whole-municipality drill brings its critical services back.

After an incident a municipality rebuilds what its tier-1 services need, in an order where
nothing comes back before what it depends on (the card's ``depends_on``):

1. the hosts first, because a host needs nothing of the card: the log collector's host before
   any other (a rebuilt host logs from its first minute, and an intruder still inside shows up
   there), then every host a service depends on, in the order the card first names them;
2. then the services: every tier-1 service, and every service of a lower tier that one of them
   needs, each as soon as everything it needs is back; of those ready at the same moment, the one
   first on the card.

A host a service needs is back only with what it runs: the card's services placed on it come back
too, each before the services that need the host (a database server named in ``depends_on`` is of
no use empty). The log collector's host is the exception: it is back when its collector is, so a
service placed there is a step like any other and may itself need the others.

A service's own hosts are not steps of their own: they come back with the service. The order
depends only on the card, never on the order of a set, so two runs on one card agree.
"""

import heapq
from typing import NamedTuple

from landingzone.card.dependencies import FIELD

CRITICAL_TIER = 1


class RestoreStep(NamedTuple):
    kind: str  # "host" or "service"
    name: str


def restore_order(services: list[dict], log_collector: str | None = None) -> list[RestoreStep]:
    """The steps for the card's ``services`` (a checked card's list); ``log_collector`` is the
    host of the municipality's own log collector (an inventory host), or None when it has none
    the drill could rebuild. Raises ValueError on a cycle, which a checked card never has."""
    by_name = {service["name"]: service for service in services}
    card_position = {name: rank for rank, name in enumerate(by_name)}
    runs_on: dict[str, list[str]] = {}
    for service in services:
        for host in service.get("hosts", []):
            runs_on.setdefault(host, []).append(service["name"])

    # The services to bring back: the tier-1 ones, whatever services they need, and what the hosts
    # they need run, transitively. A need on a host stands for the services on it.
    needed: dict[str, list[str]] = {}
    waits_for: dict[str, set[str]] = {}
    pending = [service["name"] for service in services if service["tier"] == CRITICAL_TIER]
    while pending:
        name = pending.pop()
        if name not in needed:
            needed[name] = list(dict.fromkeys(by_name[name].get(FIELD, [])))
            waits_for[name] = {need for need in needed[name] if need in by_name}
            for host in needed[name]:
                if host not in by_name and host != log_collector:
                    waits_for[name] |= set(runs_on.get(host, [])) - {name}
            pending += sorted(waits_for[name])

    hosts = [log_collector] if log_collector else []
    for name in by_name:
        hosts += [need for need in needed.get(name, []) if need not in by_name and need not in hosts]
    steps = [RestoreStep("host", host) for host in hosts]
    waiting = {name: set(needs) for name, needs in waits_for.items()}
    ready = [(card_position[name], name) for name, needs in waiting.items() if not needs]
    heapq.heapify(ready)
    while ready:
        _, name = heapq.heappop(ready)
        steps.append(RestoreStep("service", name))
        for other, needs in waiting.items():
            if name in needs:
                needs.discard(name)
                if not needs:
                    heapq.heappush(ready, (card_position[other], other))
    left = sorted(name for name in needed if RestoreStep("service", name) not in steps)
    if left:
        raise ValueError(
            f"the services {', '.join(left)} depend on each other in a cycle "
            "(directly, or through the hosts they run on)"
        )
    return steps
