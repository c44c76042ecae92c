"""What `landingzone drill M --all` rebuilds, and in which order, decided before any host starts.

The card's tier-1 services, and whatever they need (``depends_on``), come back on empty hosts in
the order of ``restore_order``: the log collector's host first, then the other hosts a service
needs, then the hosts of the services themselves. Each host of the lab is rebuilt once: a host
that carries two of the services (the demo's app host carries the portal and the register) gets
both restored onto it. A service on several hosts comes back on every one of them, each from the
backup of the host it stands in for.

The run follows the plan's steps, not its hosts: each step is one service on all of its rebuilt
hosts at once, and a step starts only when the one before it has ended on every host, so a
service waits for what it needs wherever that lives (playbooks/restore_drill.yml).

Every name the drill needs must be a host of the lab: a dependency that is missing stops the
drill here, with the file and the field that name it, before any container starts. So does a
host the drill needs but cannot give back what it runs (a VPN gateway, a second log collector):
the reason is named rather than an empty host passed off as the one needed.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from landingzone.card.dependencies import FIELD
from landingzone.errors import LandingzoneError
from landingzone.lab.drill_target import target_name
from landingzone.restore_order import restore_order


@dataclass
class RebuiltHost:
    """An empty host that takes the place of one of the lab's hosts for the drill."""

    name: str
    source_host: str
    log_collector: bool = False
    # The card's entries of the services restored onto it, in restore order.
    services: list[dict] = field(default_factory=list)


@dataclass
class PlanStep:
    """One service of the card, brought back on every rebuilt host of its hosts (by their names)."""

    service: dict
    hosts: list[str]


@dataclass
class DrillPlan:
    # In the order they start and are re-applied: the log collector's first.
    hosts: list[RebuiltHost]
    # In the order they run, each after everything its service needs.
    steps: list[PlanStep] = field(default_factory=list)

    @property
    def services(self) -> list[dict]:
        return [step.service for step in self.steps]

    @property
    def log_collector(self) -> RebuiltHost | None:
        return next((host for host in self.hosts if host.log_collector), None)


def rebuilt_name(municipality: str, source_host: str) -> str:
    """`<municipality>-drill-<host>`, the host's name without its municipality prefix: demo-drill-app1."""
    short = re.sub(rf"^{re.escape(municipality)}-", "", source_host)
    return target_name(municipality, short)


# Inventory groups whose role the drill does not re-apply on a host it needs, and why.
NOT_REBUILT_GROUPS = {
    "vpn_gateways": "a VPN gateway: suppliers' tunnels come back after the services, with `apply`, not in a drill",
    "log_collectors": "a log collector other than the card's (log_collector.host): the drill rebuilds that one only",
}


def plan_all(
    municipality: str,
    role_vars: dict,
    lab_hosts: list[str],
    card_path: Path,
    hosts_file: Path,
    groups: dict[str, list[str]] | None = None,
) -> DrillPlan:
    """The rebuilt hosts and the steps of a whole-municipality drill, from the card's variables,
    the lab's hosts and the inventory's groups (group: hosts)."""
    services = role_vars.get("landingzone_services") or []
    position = {service["name"]: index for index, service in enumerate(services)}
    lab = set(lab_hosts)

    def missing(host: str, where: str) -> LandingzoneError:
        return LandingzoneError(
            f"{card_path}: {where}: {host!r} is not a host of the lab {municipality} ({hosts_file}); "
            "the drill cannot rebuild what the card needs"
        )

    collector = (role_vars.get("linux_baseline_log_collector") or {}).get("host") or None
    if collector and collector not in lab:
        raise missing(collector, "log_collector.host")
    try:
        steps = restore_order(services, collector)
    except ValueError as exc:  # a checked card has no cycle; said plainly if one slips through
        raise LandingzoneError(f"{card_path}: services: {exc}") from None
    if not any(step.kind == "service" for step in steps):
        raise LandingzoneError(f"{card_path}: services: the card names no tier-1 service to bring back")

    by_source: dict[str, RebuiltHost] = {}

    def rebuild(source: str) -> RebuiltHost:
        if source not in by_source:
            by_source[source] = RebuiltHost(rebuilt_name(municipality, source), source, source == collector)
        return by_source[source]

    plan_steps = []
    for step in steps:
        if step.kind == "host":
            if step.name not in lab:
                raise missing(step.name, _needed_where(services, step.name))
            if step.name != collector:
                _refuse_what_cannot_come_back(step.name, groups or {}, card_path, _needed_where(services, step.name))
            rebuild(step.name)
            continue
        index = position[step.name]
        service = services[index]
        for rank, source in enumerate(service["hosts"]):
            if source not in lab:
                raise missing(source, f"services[{index}].hosts[{rank}]")
        plan_steps.append(PlanStep(service, [rebuild(source).name for source in service["hosts"]]))
        for source in service["hosts"]:
            by_source[source].services.append(service)
    return DrillPlan(list(by_source.values()), plan_steps)


def _refuse_what_cannot_come_back(host: str, groups: dict[str, list[str]], card_path: Path, where: str) -> None:
    for group, why in NOT_REBUILT_GROUPS.items():
        if host in groups.get(group, []):
            raise LandingzoneError(f"{card_path}: {where}: {host!r} is {why}; the drill cannot bring back what it runs")


def _needed_where(services: list[dict], host: str) -> str:
    """The first field of the card that names the host as a dependency."""
    for index, service in enumerate(services):
        needs = service.get(FIELD) or []
        if host in needs:
            return f"services[{index}].{FIELD}[{needs.index(host)}]"
    return "log_collector.host"


def plan_variables(
    plan: DrillPlan,
    addresses: dict[str, str],
    card_log_collector: dict,
    started: float,
    hosts_ready: float,
    source: dict,
) -> dict:
    """The extra variables of the drill's run (addresses: each rebuilt host's, by name; the clock's
    start and the moment every empty host was up, in seconds since the epoch; where the restores
    come from, as for a drill of one service: drill_source.py). Every
    rebuilt host forwards its logs to the rebuilt collector, never to the lab's own (which an
    intruder may still hold): the card's collector, with the rebuilt one's name."""
    drill = {
        "started_epoch": started,
        "hosts_ready_epoch": hosts_ready,
        "whole_set": True,
        "source": source,
        "targets": [target_entry(host, addresses[host.name]) for host in plan.hosts],
        "steps": [{"service": step.service, "hosts": step.hosts} for step in plan.steps],
    }
    variables = {"landingzone_drill": drill}
    collector = plan.log_collector
    if collector is not None:
        drill["log_collector"] = {
            "name": collector.name,
            "address": addresses[collector.name],
            "source_host": collector.source_host,
        }
        variables["linux_baseline_log_collector"] = {**card_log_collector, "host": collector.name}
    return variables


def target_entry(host: RebuiltHost, address: str) -> dict:
    return {
        "name": host.name,
        "address": address,
        "source_host": host.source_host,
        "log_collector": host.log_collector,
        "services": host.services,
    }
