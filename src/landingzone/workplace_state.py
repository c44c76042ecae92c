"""What `landingzone workplace status` reads back from a run: each desk's and the gateway's state.

playbooks/files/workplace_state.sh prints one fact a line on each host; its output comes back in
the run's events (already redacted). A host may lie or be taken over: only the lines of the
expected shape are kept, names and states are matched whole, and nothing else of its output
reaches the operator's terminal or the JSON.
"""

import datetime
import json
import re
from pathlib import Path

STATE_TASK = "Read the workplace state"
DESK_UNITS = ("xrdp.service", "xrdp-sesman.service")
GATEWAY_UNITS = ("haproxy.service",)
UNIT_STATES = frozenset({"active", "inactive", "failed", "activating", "deactivating", "reloading", "unknown"})
ACCOUNT_NAME = re.compile(r"[a-z_][a-z0-9_.-]{0,63}")
EXPIRY_DAY = re.compile(r"[0-9]{1,6}")


def run_events(run_dir: Path) -> list[dict]:
    """The run's job events in the order they happened (ansible-runner's artifacts)."""
    events = []
    for path in run_dir.glob("artifacts/*/job_events/*.json"):
        try:
            events.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return sorted(events, key=lambda event: event.get("counter", 0))


def _state_outputs(events: list[dict]) -> dict[str, str]:
    """Each host's output of the state task."""
    outputs = {}
    for event in events:
        data = event.get("event_data") or {}
        if event.get("event") == "runner_on_ok" and data.get("task") == STATE_TASK and data.get("host"):
            outputs[data["host"]] = str((data.get("res") or {}).get("stdout") or "")
    return outputs


def _today() -> int:
    """Days since the epoch, as /etc/shadow counts an account's expiry."""
    return (datetime.datetime.now(datetime.UTC).date() - datetime.date(1970, 1, 1)).days


def parse_state(text: str, units: tuple[str, ...], today: int) -> tuple[dict, list[str], dict]:
    """(unit -> state, accounts with a session, account -> open/locked/expired) from the script's output."""
    services = dict.fromkeys(units, "unknown")
    sessions: list[str] = []
    accounts: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[0] == "service" and fields[1] in services:
            services[fields[1]] = fields[2] if fields[2] in UNIT_STATES else "unknown"
        elif len(fields) == 2 and fields[0] == "session" and ACCOUNT_NAME.fullmatch(fields[1]):
            if fields[1] not in sessions:
                sessions.append(fields[1])
        elif len(fields) == 4 and fields[0] == "account" and ACCOUNT_NAME.fullmatch(fields[1]):
            if fields[2] not in ("open", "locked") or not (fields[3] == "-" or EXPIRY_DAY.fullmatch(fields[3])):
                continue
            expired = fields[3] != "-" and int(fields[3]) <= today
            accounts[fields[1]] = "expired" if expired and fields[2] == "open" else fields[2]
    return services, sessions, accounts


def host_states(
    events: list[dict], reached: dict[str, dict], desks: list[str], gateway: str, roster: list[str]
) -> list[dict]:
    """One row per desk and for the gateway: reached, its units, who has a session, and on a desk
    each person of the roster's account (absent, open, locked or expired)."""
    outputs = _state_outputs(events)
    today = _today()
    rows = []
    for host, kind, units in [*((desk, "desk", DESK_UNITS) for desk in desks), (gateway, "gateway", GATEWAY_UNITS)]:
        reachable = bool((reached.get(host) or {}).get("reachable")) and host in outputs
        services, sessions, accounts = parse_state(outputs.get(host, ""), units, today)
        row = {"host": host, "kind": kind, "reachable": reachable, "services": services, "sessions": sessions}
        if kind == "desk":
            row["accounts"] = {name: accounts.get(name, "absent") for name in roster} if reachable else {}
        rows.append(row)
    return rows


def workplace_is_up(rows: list[dict]) -> bool:
    """Every host reached, every unit active, every person's account present and open."""
    return all(
        row["reachable"]
        and all(state == "active" for state in row["services"].values())
        and all(state == "open" for state in row.get("accounts", {}).values())
        for row in rows
    )
