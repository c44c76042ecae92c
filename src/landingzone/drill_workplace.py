"""`landingzone drill M --workplace`: the workplace from nothing to N desks a person has logged into.

The card's workplace section says how many desks (N) the municipality needs after an incident and
within which RTO. The drill starts empty hosts for the first N desks of the inventory group
``workplace_desks`` (from the desk image) and for its gateway (the first of ``workplace_gateways``),
as the restore drill does for servers (lab/drill_target.py); its run applies the baseline to the
desks as virtual PCs with RDP open to the gateway alone, then the workplace roles
(playbooks/workplace_drill.yml). Then, on the controller, a real RDP client logs into every desk
through the gateway at once, as a person of the roster (the person at position i of the roster
lands on desk i, as the gateway spreads them): password and TOTP code from the vault, the session
must paint the desk's name and the run's word (workplace_login.py).

The clock starts before the first empty host and stops when the last desk has shown its word. The
time against the card's ``workplace.rto_minutes``, with each desk's login, is one ``drill`` record
of the run's evidence (under the gateway's name) and a line of the drill's summary. A missed RTO
makes the drill non-compliant (exit 1); a desk nobody could log into fails it.
"""

import dataclasses
import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from landingzone.drill_plan import rebuilt_name
from landingzone.errors import LandingzoneError
from landingzone.inventory_values import variables_set
from landingzone.lab.desk_image import ensure_desk_image
from landingzone.lab.drill_target import drill_targets
from landingzone.lab.municipality_lab import load_lab
from landingzone.runner.job import FleetSettings, Municipality, Outcome, RunKind, run_municipality
from landingzone.runner.lock import MunicipalityLock
from landingzone.runner.secret_values import VaultText, inventory_files, load_yaml
from landingzone.runner.vault import decrypt
from landingzone.workplace_login import LoginResult, log_in

WORKPLACE_DRILL = RunKind("drill", "workplace_drill.yml")
DESK_GROUP = "workplace_desks"
GATEWAY_GROUP = "workplace_gateways"
PASSWORDS = "workplace_first_passwords"
TOTP_SECRETS = "workplace_totp_secrets"
# How long one login may take, from the client's start to the session's word on its screen.
LOGIN_WITHIN_SECONDS = 150


@dataclass
class Login:
    """Who logs into which empty desk (by its name): the gateway sends person i to desk i."""

    person: str
    desk: str


@dataclass
class WorkplacePlan:
    # (empty host's name, the inventory's desk it stands in for), in the gateway's order.
    desks: list[tuple[str, str]]
    gateway: tuple[str, str]
    logins: list[Login]
    rto_minutes: int
    totp_required: bool

    @property
    def wanted(self) -> list[tuple[str, str]]:
        return [*self.desks, self.gateway]


def has_workplace(role_vars: dict) -> bool:
    """Whether the card's workplace runs on Debian desks the drill can bring up."""
    return bool(role_vars.get("workplace_roster")) and bool(role_vars.get("workplace_debian_desks", True))


def plan_workplace(
    municipality: str,
    role_vars: dict,
    groups: dict[str, list[str]],
    lab_hosts: list[str],
    card_path: Path,
    hosts_file: Path,
) -> WorkplacePlan:
    """The empty desks, the empty gateway and the logins, from the card's variables and the
    inventory's groups (group: hosts, in order); every refusal names the file and the field."""
    if not role_vars.get("workplace_roster"):
        raise LandingzoneError(f"{card_path}: workplace: the card has no workplace section to drill")
    if not role_vars.get("workplace_debian_desks", True):
        raise LandingzoneError(
            f"{card_path}: identity.avd.use: instead_of_desks, the workplace has no Debian desk to drill"
        )
    count = role_vars["workplace_desks"]
    # Plain strings: Ansible's inventory gives its own string type, which the run's vars file cannot hold.
    desks = [str(host) for host in groups.get(DESK_GROUP, [])]
    if len(desks) < count:
        raise LandingzoneError(
            f"{hosts_file}: {DESK_GROUP}: the card's workplace.desks is {count} ({card_path}), "
            f"the group has {len(desks)} host(s); the drill stands an empty host in for each desk"
        )
    gateways = [str(host) for host in groups.get(GATEWAY_GROUP, [])]
    if not gateways:
        raise LandingzoneError(f"{hosts_file}: {GATEWAY_GROUP}: no host; the desks are reached through one gateway")
    lab = set(lab_hosts)
    for host in [*desks[:count], gateways[0]]:
        if host not in lab:
            raise LandingzoneError(f"{hosts_file}: {host!r} is not a host of the lab {municipality}")
    planned = [(rebuilt_name(municipality, source), source) for source in desks[:count]]
    roster = role_vars["workplace_roster"]
    return WorkplacePlan(
        desks=planned,
        gateway=(rebuilt_name(municipality, gateways[0]), gateways[0]),
        logins=[Login(roster[index]["name"], name) for index, (name, _) in enumerate(planned)],
        rto_minutes=role_vars["workplace_rto_minutes"],
        totp_required=bool(role_vars.get("workplace_totp_required")),
    )


def login_secrets(
    inventory_dir: Path, password: str | None, people: list[str], totp_required: bool
) -> dict[str, tuple[str, str | None]]:
    """Each person's first password and TOTP secret, from the vault variables of the inventory
    (workplace_first_passwords, workplace_totp_secrets), checked before any host starts."""
    found: dict[str, dict[str, str]] = {PASSWORDS: {}, TOTP_SECRETS: {}}
    for path in inventory_files(inventory_dir):
        for variable, field, value in variables_set(load_yaml(path, password), {PASSWORDS, TOTP_SECRETS}):
            if value is None:  # set to nothing: no person has one there
                continue
            if not isinstance(value, dict):
                raise LandingzoneError(f"{path}: {field}: must map each account name to its secret")
            for person, secret in value.items():
                if isinstance(secret, VaultText):
                    secret = decrypt(password, secret, f"{path}: {field}.{person}")
                found[variable][str(person)] = str(secret)
    answers = {}
    for person in people:
        if person not in found[PASSWORDS]:
            raise LandingzoneError(
                f"{inventory_dir}: {PASSWORDS}: no first password for {person!r}, whom the drill logs in"
            )
        totp = found[TOTP_SECRETS].get(person)
        if totp_required and not totp:
            raise LandingzoneError(
                f"{inventory_dir}: {TOTP_SECRETS}: no TOTP secret for {person!r} (workplace.totp_required is true)"
            )
        answers[person] = (found[PASSWORDS][person], totp if totp_required else None)
    return answers


def drill_variables(plan: WorkplacePlan, addresses: dict[str, str], started: float, nonce: str) -> dict:
    """The run's variables (playbooks/workplace_drill.yml): the empty hosts with their addresses
    and the hosts they stand in for, and the word each desk's session paints."""
    return {
        "landingzone_workplace_drill": {
            "started_epoch": started,
            "nonce": nonce,
            "desks": [{"name": name, "address": addresses[name], "source_host": source} for name, source in plan.desks],
            "gateway": {"name": plan.gateway[0], "address": addresses[plan.gateway[0]], "source_host": plan.gateway[1]},
        }
    }


def expected_word(desk: str, nonce: str) -> str:
    """What a desk's session paints in the drill: its own name and the run's word."""
    return f"{desk} {nonce}"


def drill_record(
    municipality: str,
    plan: WorkplacePlan,
    started: float,
    hosts_ready: float,
    applied: float,
    logins: list[LoginResult],
    finished: bool,
) -> dict:
    """The workplace's drill record: no password, code or secret, only who logged in where and when."""
    rto_seconds = plan.rto_minutes * 60
    all_in = finished and len(logins) == len(plan.desks) and all(login.logged_in for login in logins)
    achieved = round(max(login.ended_epoch for login in logins) - started, 1) if all_in else None
    met = achieved is not None and achieved <= rto_seconds
    status = "pass" if all_in else "error" if not finished else "fail"
    record = {
        "workplace": municipality,
        "desks": len(plan.desks),
        "gateway": plan.gateway[0],
        "stands_in_for": {name: source for name, source in plan.wanted},
        "status": status,
        "hosts_ready_seconds": round(hosts_ready - started, 1),
        "applied_seconds": round(applied - started, 1),
        "achieved_seconds": achieved,
        "rto_minutes": plan.rto_minutes,
        "rto_met": met,
        "logins": [
            {
                "desk": login.desk,
                "person": login.person,
                "logged_in": login.logged_in,
                "login_seconds": login.seconds,
                "after_seconds": round(login.ended_epoch - started, 1),
                "session_showed": login.nonce_seen,
                **({"problem": login.problem} if login.problem else {}),
            }
            for login in logins
        ],
        "verdict": "pass" if met else status if status != "pass" else "fail",
    }
    if not finished:
        record["error"] = "the desks or the gateway were not set up: no login was tried"
    return record


def _log_in_everywhere(
    plan: WorkplacePlan, gateway_address: str, answers: dict, nonce: str, workdir: Path
) -> list[LoginResult]:
    """Every desk's login at once, each with its own client and display."""

    def one(login: Login) -> LoginResult:
        password, totp = answers[login.person]
        return log_in(
            workdir / login.desk,
            gateway_address,
            login.person,
            password,
            totp,
            login.desk,
            expected_word(login.desk, nonce),
            within=LOGIN_WITHIN_SECONDS,
        )

    with ThreadPoolExecutor(max_workers=len(plan.logins)) as pool:
        return list(pool.map(one, plan.logins))


def run_workplace_drill(
    root: Path,
    fleet: Path,
    municipality: Municipality,
    plan: WorkplacePlan,
    answers: dict,
    settings: FleetSettings,
    on_progress,
) -> Outcome:
    """Empty desks and gateway, the run that sets them up, the logins, one record; the targets
    are removed afterwards, whatever happened."""
    desk_image = ensure_desk_image(root, log=lambda _line: None)
    lock = MunicipalityLock(settings.locks_dir, municipality.name).acquire()
    try:
        started = time.time()
        images = {name: desk_image for name, _ in plan.wanted}
        with drill_targets(root, fleet, municipality.name, plan.wanted, images) as targets:
            hosts_ready = time.time()
            addresses = {target.name: target.address for target in targets}
            nonce = secrets.token_hex(8)

            def log_in_after_the_run(finished: bool) -> dict:
                applied = time.time()
                logins = []
                if finished:
                    with tempfile.TemporaryDirectory(prefix="lz-workplace-drill-") as workdir:
                        logins = _log_in_everywhere(plan, addresses[plan.gateway[0]], answers, nonce, Path(workdir))
                record = drill_record(municipality.name, plan, started, hosts_ready, applied, logins, finished)
                return {"drill": {plan.gateway[0]: [record]}}

            drill = dataclasses.replace(
                municipality,
                hosts=[target.name for target in targets],
                role_vars={**municipality.role_vars, **drill_variables(plan, addresses, started, nonce)},
            )
            return run_municipality(drill, WORKPLACE_DRILL, settings, on_progress, after_playbook=log_in_after_the_run)
    finally:
        lock.release()


def prepare_workplace_drill(
    root: Path, fleet: Path, municipality: Municipality, password: str | None, card_path: Path, groups: dict
) -> tuple[WorkplacePlan, dict]:
    """The plan and each person's answers, every input checked before any host starts."""
    lab = load_lab(root, fleet, municipality.name)
    plan = plan_workplace(
        municipality.name,
        municipality.role_vars,
        groups,
        [host.name for host in lab.hosts],
        card_path,
        municipality.inventory_dir / "hosts.yml",
    )
    people = [login.person for login in plan.logins]
    return plan, login_secrets(municipality.inventory_dir, password, people, plan.totp_required)
