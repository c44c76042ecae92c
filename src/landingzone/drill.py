"""`landingzone drill`: bring a critical service back on an empty host and time it against its RTO.

For each service drilled: a fresh lab host is started from the same image as the service's
host, the baseline is applied to it, the service's data is restored from the latest backup of
its host, and the service's health check is run there. A service that names a
``supplier_role`` is brought back as that role's contract declares: its backup set restored,
the role applied without sample data, the database dumps loaded, the contract's health check
passed (see playbooks/restore_drill.yml). The clock starts before the host is
created and stops when the health check passes; the time, the RTO on the card and whether it
was met go into the run's evidence (section ``drill``) and its report. A missed RTO makes the
drill non-compliant (exit 1); a restore or health check that fails leaves a record saying
where, and the run did not finish (exit 3).
"""

import dataclasses
import time
from pathlib import Path

from landingzone.drill_plan import DrillPlan, RebuiltHost, plan_variables, target_entry
from landingzone.drill_source import BACKUP_SERVER
from landingzone.errors import LandingzoneError
from landingzone.lab.drill_target import drill_target, drill_targets
from landingzone.runner.job import RUN_KINDS, FleetSettings, Municipality, Outcome, run_municipality
from landingzone.runner.lock import MunicipalityLock


def services_to_drill(municipality: Municipality, names: list[str], card_path: Path) -> list[dict]:
    """The card's services by name, in the order asked; all of them when no name is given,
    the most critical tier first (in card order within a tier)."""
    services = municipality.role_vars.get("landingzone_services") or []
    if not services:
        raise LandingzoneError(f"{card_path}: services: the card names no service to drill")
    if not names:
        return sorted(services, key=lambda service: service["tier"])
    by_name = {service["name"]: service for service in services}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise LandingzoneError(
            f"--service: {', '.join(map(repr, unknown))} is not a service on {card_path} "
            f"(it names: {', '.join(sorted(by_name))})"
        )
    return [by_name[name] for name in dict.fromkeys(names)]


def drill_variables(
    service: dict, target_name: str, target_address: str, started: float, source: dict | None = None
) -> dict:
    """The run's variables for one service drilled alone: one target, no log collector rebuilt."""
    rebuilt = RebuiltHost(target_name, service["hosts"][0], services=[service])
    return {
        "landingzone_drill": {
            # Seconds since the epoch on the controller, where the playbook also stops the clock.
            "started_epoch": started,
            "targets": [target_entry(rebuilt, target_address)],
            "steps": [{"service": service, "hosts": [target_name]}],
            # Where the restores come from (drill_source.py): the backup server unless said otherwise.
            "source": source or {"kind": BACKUP_SERVER},
        }
    }


def run_drills(
    root: Path,
    fleet: Path,
    municipality: Municipality,
    services: list[dict],
    settings: FleetSettings,
    on_progress,
    source: dict | None = None,
) -> list[Outcome]:
    """One run per service, one after the other: each drill's time is its own."""
    lock = MunicipalityLock(settings.locks_dir, municipality.name).acquire()
    outcomes = []
    try:
        for service in services:
            started = time.time()
            with drill_target(root, fleet, municipality.name, service["name"], service["hosts"][0]) as target:
                drill = dataclasses.replace(
                    municipality,
                    hosts=[target.name],
                    role_vars={
                        **municipality.role_vars,
                        **drill_variables(service, target.name, target.address, started, source),
                    },
                )
                outcomes.append(run_municipality(drill, RUN_KINDS["drill"], settings, on_progress))
    finally:
        lock.release()
    return outcomes


def run_drill_all(
    root: Path,
    fleet: Path,
    municipality: Municipality,
    plan: DrillPlan,
    settings: FleetSettings,
    on_progress,
    source: dict | None = None,
) -> Outcome:
    """One run for the whole set: every rebuilt host started first (the clock runs from before
    the first), then re-applied and restored in the plan's order by restore_drill.yml."""
    lock = MunicipalityLock(settings.locks_dir, municipality.name).acquire()
    try:
        started = time.time()
        wanted = [(host.name, host.source_host) for host in plan.hosts]
        with drill_targets(root, fleet, municipality.name, wanted) as targets:
            hosts_ready = time.time()
            addresses = {target.name: target.address for target in targets}
            card_log_collector = municipality.role_vars.get("linux_baseline_log_collector") or {}
            drill = dataclasses.replace(
                municipality,
                hosts=[target.name for target in targets],
                role_vars={
                    **municipality.role_vars,
                    **plan_variables(
                        plan, addresses, card_log_collector, started, hosts_ready, source or {"kind": BACKUP_SERVER}
                    ),
                },
            )
            return run_municipality(drill, RUN_KINDS["drill"], settings, on_progress)
    finally:
        lock.release()
