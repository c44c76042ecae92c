"""What a run did, read from ansible-runner's events as they stream.

One observer per municipality run. Every event is redacted in place before
ansible-runner writes it to the artifacts, its output goes to the run's log,
and the observer keeps the state the progress line and the evidence need: which
hosts were reached, which failed, and every control result of the engine.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.results_schema import SECTIONS

from landingzone.evidence import redact
from landingzone.ssh_trust import REFUSAL

ENGINE_ACTIONS = frozenset({"cyberveilig.landingzone.linux_controls", "cyberveilig.landingzone.windows_controls"})
PASSED_STATUSES = frozenset({"pass", "fixed"})
FAILED_STATUSES = frozenset({"fail", "error"})
HOST_RESULT_EVENTS = frozenset({"runner_on_ok", "runner_on_failed", "runner_on_skipped", "runner_on_unreachable"})
# The parts of results.json beside the control results, as its schema declares them. A task adds
# to one by returning {"landingzone_evidence": {"section": <one of these>, "record": {...}}}, or
# several at once as "records": [...].
EVIDENCE_SECTIONS = SECTIONS
HOST_KEY_REFUSED = "host key not trusted, nothing was sent"
# The same on a connection opened again later in the run, after the host's first tasks ran.
HOST_KEY_REFUSED_LATER = "host key not trusted when connecting again, after its first tasks"
# Actions Ansible runs on the controller without opening the host's connection: a result of
# one (the baseline's catalog checks come first) says nothing about what reached the host.
# An action missing here counts as having connected, the cautious side.
CONTROLLER_ACTIONS = frozenset(
    f"ansible.builtin.{name}"
    for name in (
        "add_host", "assert", "debug", "fail", "group_by", "import_role", "import_tasks", "include_role",
        "include_tasks", "include_vars", "meta", "pause", "set_fact", "set_stats", "validate_argument_spec",
    )
)  # fmt: skip


@dataclass
class HostState:
    reachable: bool | None = None  # None: no event has named the host yet
    failed: bool = False
    message: str = ""
    done: bool = False
    # No play of a run that finished normally was meant for the host (site.yml's plays are
    # per group): not reached, but nothing went wrong either.
    untargeted: bool = False
    # ssh refused the host's key: the run stopped there, before authenticating.
    host_key_refused: bool = False
    # A task ran over the host's connection (not only on the controller for it).
    connected: bool = False

    @property
    def went_wrong(self) -> bool:
        return self.failed or (not self.reachable and not self.untargeted)

    def as_record(self) -> dict:
        return {"reachable": bool(self.reachable), "failed": self.failed, "message": self.message}


def _on_controller(data: dict) -> bool:
    action = data.get("resolved_action") or data.get("task_action") or ""
    return action in CONTROLLER_ACTIONS or f"ansible.builtin.{action}" in CONTROLLER_ACTIONS


@dataclass
class Progress:
    municipality: str
    hosts_done: int
    hosts_total: int
    controls_passed: int
    controls_failed: int
    finished: bool = False


@dataclass
class RunObserver:
    municipality: str
    hosts: list[str]
    secrets: set[str]
    log_path: Path | None = None
    on_progress: Callable[[Progress], None] = lambda progress: None
    host_states: dict[str, HostState] = field(init=False)
    results: list[dict] = field(default_factory=list)
    stats_seen: bool = False
    finished: bool = False
    errors: list[str] = field(default_factory=list)
    # Kept as results come: progress is reported on every event, and counting every result
    # again each time would make a run's cost grow with the square of its hosts.
    _status_counts: Counter = field(default_factory=Counter, init=False, repr=False)
    # section -> host -> the records tasks returned for it, in the order they came
    sections: dict[str, dict[str, list[dict]]] = field(default_factory=lambda: {s: {} for s in EVIDENCE_SECTIONS})

    def __post_init__(self):
        self.host_states = {name: HostState() for name in self.hosts}

    def handle(self, event: dict) -> bool:
        """ansible-runner's event_handler: scrub, record, report; True lets it write the event."""
        clean = redact(event, self.secrets)
        event.clear()
        event.update(clean)
        self._record(event)
        self._log(event.get("stdout") or "")
        self.on_progress(self.progress())
        return True

    def _log(self, text: str) -> None:
        if text and self.log_path is not None:
            with self.log_path.open("a", encoding="utf-8") as log:
                log.write(text + "\n")

    def _state(self, host: str) -> HostState:
        return self.host_states.setdefault(host, HostState())

    def _record(self, event: dict) -> None:
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if kind == "playbook_on_stats":
            self._record_stats(data)
        elif kind == "error" or (kind == "verbose" and "ERROR!" in (event.get("stdout") or "")):
            self.errors.append((event.get("stdout") or "").strip())
        if kind not in HOST_RESULT_EVENTS or not data.get("host"):
            return
        state = self._state(data["host"])
        result = data.get("res") or {}
        if kind == "runner_on_unreachable":
            message = str(result.get("msg") or "unreachable").strip()
            if REFUSAL in message:
                state.host_key_refused = True
                message = f"{HOST_KEY_REFUSED_LATER if state.connected else HOST_KEY_REFUSED}: {message}"
            state.reachable, state.done, state.message = False, True, message
            return
        if state.reachable is None:
            state.reachable = True
        if kind != "runner_on_skipped" and not _on_controller(data):
            state.connected = True
        if ENGINE_ACTIONS & {data.get("task_action"), data.get("resolved_action")}:
            created = event.get("created")
            for record in result.get("results") or []:
                self.results.append({"host": data["host"], "time": created, **record})
                self._status_counts[self.results[-1].get("status", "unknown")] += 1
            state.done = True
        self._record_sections(data["host"], result)
        if kind == "runner_on_failed" and not data.get("ignore_errors"):
            state.failed, state.done = True, True
            state.message = f"{data.get('task', 'a task')}: {str(result.get('msg') or 'failed').strip()}"

    def _record_sections(self, host: str, result: dict) -> None:
        """Evidence records a task returned, itself or per loop item; anything malformed is
        ignored here and shows as a missing record, never as a broken results.json."""
        for item in [result, *(r for r in result.get("results") or [] if isinstance(r, dict))]:
            evidence = item.get("landingzone_evidence")
            if not isinstance(evidence, dict) or evidence.get("section") not in self.sections:
                continue
            records = evidence.get("records") if isinstance(evidence.get("records"), list) else [evidence.get("record")]
            for record in records:
                if isinstance(record, dict):
                    self.sections[evidence["section"]].setdefault(host, []).append(record)

    def _record_stats(self, data: dict) -> None:
        self.stats_seen = True
        for host in data.get("processed") or {}:
            self._state(host).done = True
        for host in data.get("dark") or {}:
            state = self._state(host)
            state.reachable = False
            state.message = state.message or "unreachable"
        for host in data.get("failures") or {}:
            state = self._state(host)
            state.failed = True
            state.message = state.message or "failed"

    def finish(self, why_not_reached: str) -> None:
        """After the run: every host the run never got to is recorded as not reached."""
        for state in self.host_states.values():
            if state.reachable is None:
                state.reachable = False
                if self.stats_seen:
                    state.untargeted = True
                    state.message = "not reached: no play of this run is meant for this host"
                else:
                    state.message = state.message or f"not reached: {why_not_reached}"
            state.done = True
        self.finished = True
        self.on_progress(self.progress())

    def status_counts(self) -> Counter:
        return Counter(self._status_counts)

    def progress(self) -> Progress:
        counts = self.status_counts()
        return Progress(
            self.municipality,
            sum(state.done for state in self.host_states.values()),
            len(self.host_states),
            sum(counts[s] for s in PASSED_STATUSES),
            sum(counts[s] for s in FAILED_STATUSES),
            self.finished,
        )

    def host_records(self) -> dict[str, dict]:
        return {name: state.as_record() for name, state in self.host_states.items()}
