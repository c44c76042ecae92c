"""`landingzone workplace up|down|status MUNICIPALITY`: the disaster-recovery desks and their gateway.

Each action is one job through the same runner as apply and audit (its own private_data_dir,
redaction, evidence of kind ``workplace``), limited to the groups ``workplace_desks`` and
``workplace_gateways``:

- ``up`` (playbooks/workplace_up.yml): the role's checks of its inputs, the baseline on the desks
  as virtual PCs with RDP open to the gateway alone, the accounts ``down`` locked unlocked again,
  then the desks and the gateway. A second ``up`` changes nothing.
- ``down`` (playbooks/workplace_down.yml): the gateway and xrdp stopped and disabled, every person
  of the roster locked and their processes ended; the homes stay for the backups and for ``up``.
- ``status`` (playbooks/workplace_status.yml): what each host says of itself (workplace_state.py).

The card, the inventory and the vault are checked before the job starts (fleet_inputs, which
runs the card's workplace checks, then ``workplace_hosts`` here), each problem naming its file
and field.
"""

import dataclasses
import ipaddress
import json
import time
from dataclasses import dataclass
from pathlib import Path

from landingzone.card import CARD_FILE
from landingzone.errors import LandingzoneError
from landingzone.fleet_inputs import load_municipalities, select
from landingzone.inventory import host_vars
from landingzone.paths import collection_root, fleet_directory
from landingzone.runner import exit_codes
from landingzone.runner.fleet import run_fleet
from landingzone.runner.job import FleetSettings, Municipality, Outcome, RunKind
from landingzone.runner.progress import ProgressBoard
from landingzone.runner.vault import password_file_for_jobs, read_password
from landingzone.workplace_state import host_states, run_events, workplace_is_up

DESKS = "workplace_desks"
GATEWAYS = "workplace_gateways"
# Ansible's --limit: these two groups and no other host of the municipality.
WORKPLACE_HOSTS = f"{DESKS}:{GATEWAYS}"
ADDRESS = "workplace_address"
# Evidence of kind "workplace": its own runs, never the municipality's latest apply or audit.
ACTIONS = {
    "up": RunKind("workplace", "workplace_up.yml", diff=True),
    "down": RunKind("workplace", "workplace_down.yml", diff=True, judges_compliance=False),
    "status": RunKind("workplace", "workplace_status.yml", judges_compliance=False),
}


@dataclass(frozen=True)
class WorkplaceHosts:
    """The desks and the one gateway, in the inventory's order, with their workplace addresses."""

    desks: list[str]
    gateway: str
    addresses: dict[str, str]
    roster: list[str]


def workplace_hosts(municipality: Municipality, variables: dict[str, dict] | None = None) -> WorkplaceHosts:
    """What ``up``, ``down`` and ``status`` act on, checked against the card; LandingzoneError
    naming the file and the field otherwise. ``variables`` are the hosts' resolved variables
    (read from the inventory when not given)."""
    card = municipality.inventory_dir / CARD_FILE
    hosts_file = municipality.inventory_dir / "hosts.yml"
    role_vars = municipality.role_vars
    if "workplace_roster" not in role_vars:
        raise LandingzoneError(f"{card}: workplace: the card has no workplace section, so there is no desk to manage")
    if not role_vars.get("workplace_debian_desks", True):
        raise LandingzoneError(
            f"{card}: identity.avd.use: the workplace runs on AVD session hosts instead of Debian desks; "
            "`landingzone workplace` manages Debian desks only"
        )
    groups = municipality.groups
    desks = [host for host in municipality.hosts if host in groups.get(DESKS, set())]
    gateways = [host for host in municipality.hosts if host in groups.get(GATEWAYS, set())]
    wanted = role_vars.get("workplace_desks", 0)
    problems = []
    if len(desks) != wanted:
        problems.append(
            f"{hosts_file}: {DESKS}: the group has {len(desks)} host(s), but the card's workplace.desks is {wanted} "
            f"({card})"
        )
    if len(gateways) != 1:
        problems.append(
            f"{hosts_file}: {GATEWAYS}: the desks are reached through one gateway; the group has "
            f"{len(gateways)} host(s)"
        )
    variables = host_vars(hosts_file) if variables is None else variables
    addresses = {}
    for host in [*desks, *gateways]:
        address = (variables.get(host) or {}).get(ADDRESS)
        try:
            addresses[host] = str(ipaddress.ip_address(address))
        except ValueError:
            problems.append(f"{hosts_file}: {host}.{ADDRESS}: {address!r} is not an IP address")
    if problems:
        raise LandingzoneError("\n".join(problems))
    roster = [person["name"] for person in role_vars["workplace_roster"]]
    return WorkplaceHosts(desks, gateways[0], addresses, roster)


def _load(args, root: Path, password: str | None) -> tuple[Path, Municipality, WorkplaceHosts]:
    fleet = fleet_directory(args.fleet, root)
    names = select(fleet, [args.municipality], False)
    (municipality,) = load_municipalities(root, fleet, names, WORKPLACE_HOSTS, password)
    return fleet, municipality, workplace_hosts(municipality)


def run_action(
    root: Path, fleet: Path, municipality: Municipality, action: str, password: str | None, on_progress=None
) -> tuple[Outcome, float]:
    """One job of ``action`` on the workplace's hosts; its outcome and its seconds."""
    board = ProgressBoard()
    with password_file_for_jobs(password) as password_file:
        settings = FleetSettings.for_command(root, fleet, password, password_file, limit=WORKPLACE_HOSTS)
        started = time.monotonic()
        (outcome,) = run_fleet([municipality], ACTIONS[action], settings, 1, on_progress or board.update)
    return outcome, time.monotonic() - started


def changed_by_host(events: list[dict]) -> dict[str, int]:
    """Tasks that changed something, per host, from the run's closing stats."""
    stats = [event for event in events if event.get("event") == "playbook_on_stats"]
    if not stats:
        return {}
    data = stats[-1].get("event_data") or {}
    hosts = {*(data.get("processed") or {}), *(data.get("changed") or {})}
    return {host: int((data.get("changed") or {}).get(host, 0)) for host in sorted(hosts)}


def action_summary(action: str, municipality: str, hosts: WorkplaceHosts, outcome: Outcome, seconds: float) -> dict:
    events = run_events(Path(outcome.run_dir)) if outcome.run_dir else []
    changed = changed_by_host(events)
    summary = {
        "command": f"workplace {action}",
        "municipality": municipality,
        "exit_code": outcome.exit_code,
        "finished": outcome.finished,
        "message": outcome.message,
        "seconds": round(seconds, 1),
        "desks": hosts.desks,
        "gateway": hosts.gateway,
        "changed": changed,
        "changed_total": sum(changed.values()),
        # Per host: reached, failed, and what went wrong (already redacted).
        "host_results": outcome.hosts,
        "evidence_dir": outcome.evidence_dir,
    }
    if action == "status":
        summary["hosts"] = host_states(events, outcome.hosts, hosts.desks, hosts.gateway, hosts.roster)
        summary["up"] = outcome.finished and workplace_is_up(summary["hosts"])
    return summary


def _status_lines(rows: list[dict]) -> list[str]:
    lines = [f"  {'host':<18} {'kind':<8} {'reached':<8} {'services':<34} sessions"]
    for row in rows:
        services = ", ".join(f"{unit.removesuffix('.service')} {state}" for unit, state in row["services"].items())
        lines.append(
            f"  {row['host']:<18} {row['kind']:<8} {'yes' if row['reachable'] else 'NO':<8} {services or '-':<34} "
            f"{', '.join(row['sessions']) or '-'}"
        )
        if row["kind"] == "desk" and row["reachable"]:
            accounts = ", ".join(f"{name} {state}" for name, state in row["accounts"].items())
            lines.append(f"  {'':<18} accounts: {accounts or 'none of the roster'}")
    return lines


def summary_text(summary: dict) -> str:
    action = summary["command"].split()[-1]
    lines = [
        f"{summary['command']} {summary['municipality']}: exit {summary['exit_code']}, {summary['seconds']} s, "
        f"{summary['changed_total']} change(s) on {len(summary['changed'])} host(s)"
    ]
    if summary["message"]:
        lines.append(f"  {summary['message']}")
    for host, result in summary["host_results"].items():
        if result.get("failed") or not result.get("reachable"):
            lines.append(f"  {host}: {result.get('message') or 'not reached'}")
    if action == "status":
        lines += _status_lines(summary["hosts"])
        lines.append("  the workplace is " + ("UP" if summary["up"] else "NOT up (see above)"))
    if action == "down":
        lines.append(
            "  closed: the gateway and xrdp are stopped and disabled, the roster's accounts locked, their sessions "
            "ended; the homes are kept. `landingzone workplace up` opens it again."
        )
    lines.append(f"  evidence {summary['evidence_dir']}")
    return "\n".join(lines)


def cmd_workplace(args) -> int:
    root = collection_root()
    password = read_password(args.vault_password_file)
    fleet, municipality, hosts = _load(args, root, password)
    municipality = dataclasses.replace(municipality, hosts=[*hosts.desks, hosts.gateway])
    outcome, seconds = run_action(root, fleet, municipality, args.action, password)
    summary = action_summary(args.action, municipality.name, hosts, outcome, seconds)
    print(json.dumps(summary, indent=2, sort_keys=True) if args.json else summary_text(summary))
    if args.action == "status" and outcome.exit_code == exit_codes.COMPLIANT and not summary["up"]:
        return exit_codes.NON_COMPLIANT
    return outcome.exit_code


def add_workplace_parser(add) -> None:
    """The `workplace` command; ``add`` makes a subcommand parser with the common options."""
    workplace = add("workplace", help="the disaster-recovery desks and their RDP gateway: up, down or status")
    workplace.add_argument(
        "action",
        choices=list(ACTIONS),
        help="up: harden and set up the desks and the gateway; down: close them (homes kept); status: ask them",
    )
    workplace.add_argument("municipality", metavar="MUNICIPALITY")
    workplace.set_defaults(func=cmd_workplace)


__all__ = ["ACTIONS", "WorkplaceHosts", "add_workplace_parser", "cmd_workplace", "workplace_hosts"]
