"""Benchmark of `landingzone workplace up` (a script, not a test): the time to the first desk and to
N desks, for N = 1, 3 and 5, and the second `up` against the first.

For each N, a lab municipality of its own (wpbench, 10.231.88.0/24; tests/integration/workplace_lab.py)
with N desks, the gateway and a service host is started with `landingzone lab up` (timed apart: it is
the lab's, not the workplace's), then `landingzone workplace up` runs twice.

"Ready to take a login": while the first `up` runs, every desk is polled every POLL seconds through
podman, and is ready from the first poll where the gateway's HAProxy is active, the desk's xrdp and
xrdp-sesman are active, the first person's TOTP file is there and their account has a password. The
clock starts when `workplace up` starts. After the run, a real login through xrdp's PAM stack
(password and code) on every desk proves that ready meant ready.

It prints, per N: the lab's start, the time to the first desk and to the Nth, the whole first `up`,
the second `up` and its ratio to the first (the issue asks at most 0.1), the changes of the second,
and the tasks run on each host in each run (from the run's events; a loop counts as one task, skipped
tasks do not count).

    .venv/bin/python benchmarks/workplace_up.py [--desks 1 3 5] [--keep]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "integration")]
from lab_cli import ENV, LAB_VAULT_PASSWORD, landingzone  # noqa: E402
from workplace_lab import PEOPLE, desk_name, gateway_name, pam_login, workplace_fleet  # noqa: E402

from landingzone.workplace_state import run_events  # noqa: E402

MUNICIPALITY, OCTET = "wpbench", 88
POLL = 2.0
# Counted as tasks run on the host (skipped ones did not; a loop's items count as one).
EXECUTED = ("runner_on_ok", "runner_on_failed")


def podman(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], env=ENV, capture_output=True, text=True, check=False)


def desk_ready(desk: str, person: str) -> bool:
    script = (
        "systemctl is-active --quiet xrdp.service xrdp-sesman.service"
        f" && test -s /var/lib/landingzone-workplace/totp/{person}"
        f" && awk -F: -v who={person} '$1 == who && $2 !~ /^[!*]/ {{ found = 1 }} END {{ exit !found }}' /etc/shadow"
    )
    return podman("exec", desk, "sh", "-c", script).returncode == 0


def gateway_ready(gateway: str) -> bool:
    return podman("exec", gateway, "systemctl", "is-active", "--quiet", "haproxy.service").returncode == 0


class ReadinessWatch(threading.Thread):
    """Polls the desks while `up` runs; the seconds from ``started`` at which each became ready."""

    def __init__(self, desks: list[str], gateway: str, person: str, started: float):
        super().__init__(daemon=True)
        self.desks, self.gateway, self.person, self.started = desks, gateway, person, started
        self.ready: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and len(self.ready) < len(self.desks):
            if gateway_ready(self.gateway):
                for desk in self.desks:
                    if desk not in self.ready and desk_ready(desk, self.person):
                        self.ready[desk] = time.monotonic() - self.started
            self.stop.wait(POLL)


def workplace_up(fleet: Path) -> tuple[dict, float]:
    started = time.monotonic()
    ran = landingzone(
        fleet, "--vault-password-file", str(LAB_VAULT_PASSWORD), "--json", "workplace", "up", MUNICIPALITY,
        timeout=3600,
    )  # fmt: skip
    if ran.returncode != 0:
        sys.exit(f"workplace up failed (exit {ran.returncode}):\n{ran.stdout[-3000:]}\n{ran.stderr[-3000:]}")
    return json.loads(ran.stdout), time.monotonic() - started


def executions_per_host(fleet: Path) -> dict[str, int]:
    """Tasks run per host in the municipality's latest run."""
    latest = max((fleet / ".landingzone" / "runs" / MUNICIPALITY).iterdir(), key=lambda path: path.name)
    counts = Counter(
        (event.get("event_data") or {}).get("host") for event in run_events(latest) if event.get("event") in EXECUTED
    )
    return {host: count for host, count in sorted(counts.items()) if host}


def one_size(desks: int, keep: bool) -> dict:
    fleet = Path(tempfile.mkdtemp(prefix=f"workplace-bench-{desks}-"))
    workplace_fleet(fleet, MUNICIPALITY, OCTET, desks)
    names = [desk_name(MUNICIPALITY, index) for index in range(1, desks + 1)]
    lab_started = time.monotonic()
    up = landingzone(fleet, "lab", "up", MUNICIPALITY, timeout=900)
    if up.returncode != 0:
        sys.exit(f"lab up failed:\n{up.stdout[-2000:]}\n{up.stderr[-2000:]}")
    lab_seconds = time.monotonic() - lab_started
    try:
        watch = ReadinessWatch(names, gateway_name(MUNICIPALITY), PEOPLE[0], time.monotonic())
        watch.start()
        first, first_seconds = workplace_up(fleet)
        watch.stop.set()
        watch.join()
        first_runs = executions_per_host(fleet)
        second, second_seconds = workplace_up(fleet)
        second_runs = executions_per_host(fleet)
        logins = {desk: pam_login(desk, PEOPLE[0]) == 0 for desk in names}
    finally:
        if not keep:
            landingzone(fleet, "lab", "down", MUNICIPALITY)
    ready = sorted(watch.ready.values())
    return {
        "desks": desks,
        "lab_up": lab_seconds,
        "first_desk": ready[0] if ready else None,
        "all_desks": ready[-1] if len(ready) == desks else None,
        "first_up": first_seconds,
        "second_up": second_seconds,
        "ratio": second_seconds / first_seconds,
        "second_changes": second["changed_total"],
        "first_executions": first_runs,
        "second_executions": second_runs,
        "logins": logins,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--desks", type=int, nargs="+", default=[1, 3, 5], choices=range(1, len(PEOPLE) + 1))
    parser.add_argument("--keep", action="store_true", help="leave the last lab up")
    args = parser.parse_args()
    rows = []
    for index, desks in enumerate(args.desks):
        row = one_size(desks, args.keep and index == len(args.desks) - 1)
        rows.append(row)
        print(json.dumps(row), flush=True)

    def seconds(value) -> str:
        return "-" if value is None else f"{value:.0f}"

    print(f"\n{'N':>2} {'lab up':>7} {'1st desk':>9} {'N desks':>8} {'up':>6} {'2nd up':>7} {'2nd/1st':>8} changes")
    for row in rows:
        print(
            f"{row['desks']:>2} {seconds(row['lab_up']):>7} {seconds(row['first_desk']):>9} "
            f"{seconds(row['all_desks']):>8} {seconds(row['first_up']):>6} {seconds(row['second_up']):>7} "
            f"{row['ratio']:>8.2f} {row['second_changes']}"
        )
    for row in rows:
        print(
            f"N={row['desks']}: tasks run per host, first up {row['first_executions']}, "
            f"second up {row['second_executions']}; a real login on every desk afterwards: {row['logins']}"
        )


if __name__ == "__main__":
    main()
