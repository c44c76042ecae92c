"""One municipality run: a fresh private_data_dir, ansible-runner, evidence.

Everything a run writes lives in its own directory named by its ident and is
never shared with another run: the runner's artifacts, the fact cache, the vars
file and the redacted log. Evidence goes to the fleet's evidence tree.
"""

import datetime
import os
import shlex
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ansible_runner.config.runner import RunnerConfig
from ansible_runner.runner import Runner

from landingzone.evidence import write_evidence
from landingzone.evidence.sections import record_is_bad
from landingzone.evidence.signature import EvidenceSigner
from landingzone.fleet_evidence_key import FleetEvidenceKey
from landingzone.runner import exit_codes
from landingzone.runner.environment import clean_environment
from landingzone.runner.events import Progress, RunObserver
from landingzone.runner.ident import new_ident
from landingzone.runner.leftovers import clean_earlier_runs, remove_partial_events, stop_processes_of_run
from landingzone.runner.metadata import run_metadata
from landingzone.runner.rotation import rotate_runs
from landingzone.runner.ssh_args import connection_extra_vars
from landingzone.runner.ssh_masters import run_masters
from landingzone.runner.stop import stop_requested, stopping_signal
from landingzone.runner.supplier_roles import requests_by_host
from landingzone.runner.vars_file import write_vars_file
from landingzone.runner.vault import PASSWORD_FILE_ENV, vault_id_argument
from landingzone.ssh_trust import known_hosts_of
from landingzone.supplier_role import load_all, waiver_requests


@dataclass(frozen=True)
class RunKind:
    """What the operator asked for, and the playbook that does it."""

    name: str
    playbook: str
    check: bool = False
    diff: bool = False
    # Whether a control left in fail or error makes the run non-compliant (exit 1).
    judges_compliance: bool = True


RUN_KINDS = {
    "audit": RunKind("audit", "audit.yml"),
    "plan": RunKind("plan", "site.yml", check=True, diff=True, judges_compliance=False),
    "apply": RunKind("apply", "site.yml", diff=True),
    "drill": RunKind("drill", "restore_drill.yml"),
}


@dataclass
class Municipality:
    """A municipality whose inputs were all validated: ready to run."""

    name: str
    nis_code: str
    inventory_dir: Path
    hosts: list[str]
    role_vars: dict = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    display_name: str = ""
    # Each inventory group with its hosts, as read when the inputs were validated.
    groups: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class FleetSettings:
    root: Path
    fleet: Path
    limit: str | None = None
    keep_runs: int = 10
    vault_password: str | None = None
    vault_password_file: Path | None = None
    metadata: dict = field(default_factory=dict)
    # What the collection's supplier roles ask to have waived: [{control, role, justification}].
    waiver_requests: list = field(default_factory=list)
    # The fleet's evidence-signing key, when it has one: every run's manifest is signed with it.
    evidence_signer: EvidenceSigner | None = None

    @classmethod
    def for_command(cls, root: Path, fleet: Path, password, password_file, **options) -> "FleetSettings":
        """What every command that runs jobs passes: the vault, the run's metadata (the
        operator, the project commit, the versions and the catalogs' hashes), the supplier
        roles' waiver requests and the evidence-signing key, read once; a bad contract or an
        expired key stops the command before any job."""
        return cls(
            root=root,
            fleet=fleet,
            vault_password=password,
            vault_password_file=password_file,
            metadata=run_metadata(root),
            waiver_requests=waiver_requests(load_all(root / "roles")),
            evidence_signer=FleetEvidenceKey(fleet).signer(password),
            **options,
        )

    @property
    def runs_root(self) -> Path:
        return self.fleet / ".landingzone" / "runs"

    @property
    def locks_dir(self) -> Path:
        return self.fleet / ".landingzone" / "locks"

    @property
    def evidence_root(self) -> Path:
        return self.fleet / "evidence"


@dataclass
class Outcome:
    municipality: str
    exit_code: int
    finished: bool
    message: str = ""
    ident: str = ""
    hosts: dict = field(default_factory=dict)
    statuses: dict = field(default_factory=dict)
    evidence_dir: str = ""
    run_dir: str = ""
    # The backup, drill, VPN and log chain records of the run, per section and host.
    sections: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def job_environment(settings: FleetSettings) -> dict[str, str]:
    """The variables this wrapper sets for ansible-playbook (see environment.py for the rest)."""
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", os.defpath)]),
        "ANSIBLE_CONFIG": str(settings.root / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "CONTAINERS_CONF": str(settings.root / "lab" / "containers.conf"),
    }
    if settings.vault_password_file is not None:
        env[PASSWORD_FILE_ENV] = str(settings.vault_password_file)
    return env


def _command_line(kind: RunKind, vars_file: Path, settings: FleetSettings, connection_vars: str) -> str:
    args = ["-e", f"@{vars_file}", "-e", connection_vars]
    if settings.vault_password_file is not None:
        args += ["--vault-id", vault_id_argument()]
    if kind.check:
        args.append("--check")
    if kind.diff:
        args.append("--diff")
    return shlex.join(args)


def _exit_code(kind: RunKind, observer: RunObserver) -> int:
    codes = [exit_codes.COMPLIANT]
    if any(state.went_wrong for state in observer.host_states.values()):
        codes.append(exit_codes.NOT_FINISHED)
    if kind.judges_compliance and any(r.get("status") in exit_codes.NON_COMPLIANT_STATUSES for r in observer.results):
        codes.append(exit_codes.NON_COMPLIANT)
    # A missed RPO or RTO, a failed restore verification: as non-compliant as a failing control.
    records = [record for per_host in observer.sections.values() for rs in per_host.values() for record in rs]
    if kind.judges_compliance and any(record_is_bad(record) for record in records):
        codes.append(exit_codes.NON_COMPLIANT)
    return exit_codes.highest(codes)


def _refused_problem(hosts: list[str], municipality: str, known_hosts: Path) -> str:
    text = f"host key not trusted: {', '.join(hosts)} (trust: {known_hosts}"
    if not known_hosts.is_file():
        return (
            f"{text}, which does not exist: run `landingzone host-keys init {municipality}`, "
            f"or `landingzone lab up {municipality}` for a lab)"
        )
    return f"{text}; `landingzone host-keys show {municipality}` says what it trusts)"


def run_municipality(
    municipality: Municipality,
    kind: RunKind,
    settings: FleetSettings,
    on_progress=lambda p: None,
    after_playbook: Callable[[bool], dict[str, dict[str, list[dict]]]] | None = None,
) -> Outcome:
    """Run the kind's playbook on the municipality and write the run's evidence. ``after_playbook``
    runs on the controller once the playbook has ended (its argument: whether every host finished)
    and returns records of its own ({section: {host: [record]}}) that join the run's evidence, as
    the workplace drill's logins do: a step that no task of a playbook can take."""
    ident = new_ident(municipality.nis_code)
    # The caller holds the municipality's lock: a killed earlier run's job and secrets go first.
    clean_earlier_runs(settings.runs_root / municipality.name)
    run_dir = settings.runs_root / municipality.name / ident
    run_dir.mkdir(parents=True, mode=0o700)
    started = _now()
    vars_file = write_vars_file(
        run_dir / "vars" / "landingzone.yml", municipality.role_vars, municipality.secrets, settings.vault_password
    )
    secrets = set(municipality.secrets)
    if settings.vault_password:
        secrets.add(settings.vault_password)
    observer = RunObserver(
        municipality.name, municipality.hosts, secrets, log_path=run_dir / "landingzone.log", on_progress=on_progress
    )
    on_progress(observer.progress())
    known_hosts = known_hosts_of(municipality.inventory_dir)
    with run_masters() as control_path_dir:
        # Host keys are checked against the municipality's known_hosts, whatever its inventory says.
        connection_vars = connection_extra_vars(settings.root / "ansible.cfg", known_hosts, control_path_dir)
        config = RunnerConfig(
            private_data_dir=str(run_dir),
            playbook=str(settings.root / "playbooks" / kind.playbook),
            # The hosts file rather than the directory, which also holds the card.
            inventory=str(municipality.inventory_dir / "hosts.yml"),
            project_dir=str(settings.root),
            limit=settings.limit,
            ident=ident,
            cmdline=_command_line(kind, vars_file, settings, connection_vars),
            suppress_output_file=True,  # its raw stdout would bypass redaction; the log is written from events
            quiet=True,
        )
        config.prepare()
        config.env = clean_environment(config.env, os.environ, job_environment(settings))
        try:
            status, rc = Runner(config=config, event_handler=observer.handle, cancel_callback=stop_requested).run()
        finally:
            # However the job ended, nothing of it runs on and no unredacted event stays behind:
            # a cancel leaves its task workers running, a crash of the wrapper the whole job (leftovers.py).
            stop_processes_of_run(run_dir)
            remove_partial_events(run_dir)
    why = "; ".join(observer.errors[-3:]) or f"the playbook ended ({status}, rc {rc}) before reaching it"
    if status == "canceled":
        why = f"the run was stopped ({signal.Signals(stopping_signal() or signal.SIGINT).name})"
    observer.finish(why)
    if after_playbook is not None:
        every_host_finished = status == "successful" and not any(s.went_wrong for s in observer.host_states.values())
        for section, per_host in after_playbook(every_host_finished).items():
            for host, records in per_host.items():
                observer.sections.setdefault(section, {}).setdefault(host, []).extend(records)

    run = {
        "municipality": {
            "name": municipality.name,
            "nis_code": municipality.nis_code,
            "display_name": municipality.display_name or municipality.name,
        },
        "ident": ident,
        "kind": kind.name,
        "started": started,
        "finished": _now(),
        **settings.metadata,
        "hosts": observer.host_records(),
        **observer.sections,
        "secrets": sorted(secrets),
    }
    if settings.waiver_requests:
        # Beside its failing controls, a host shows what the supplier roles of its groups asked to
        # waive; beside its waived ones, which of them asked for the waiver in effect.
        run["waiver_requests"] = requests_by_host(municipality.groups, settings.waiver_requests)
    evidence_dir = settings.evidence_root / municipality.name / ident
    write_evidence(evidence_dir, run, observer.results, settings.evidence_signer)
    rotate_runs(settings.runs_root / municipality.name, settings.keep_runs, settings.evidence_root)
    code = _exit_code(kind, observer)
    states = observer.host_states.items()
    refused = sorted(h for h, s in states if s.host_key_refused)
    not_reached = sorted(h for h, s in states if not s.reachable and not s.untargeted and not s.host_key_refused)
    failed = sorted(h for h, s in states if s.reachable and s.failed)
    problems = []
    if refused:
        problems.append(_refused_problem(refused, municipality.name, known_hosts))
    if not_reached:
        problems.append("not reached: " + ", ".join(not_reached))
    if failed:
        problems.append("failed: " + ", ".join(failed))
    return Outcome(
        municipality=municipality.name,
        exit_code=code,
        finished=not refused and not not_reached and not failed,
        message="; ".join(problems),
        ident=ident,
        hosts=observer.host_records(),
        statuses=dict(observer.status_counts()),
        evidence_dir=str(evidence_dir),
        run_dir=str(run_dir),
        sections={name: per_host for name, per_host in observer.sections.items() if per_host},
    )


__all__ = ["RUN_KINDS", "FleetSettings", "Municipality", "Outcome", "Progress", "RunKind", "run_municipality"]
