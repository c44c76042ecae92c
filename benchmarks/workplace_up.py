"""Benchmark of `landingzone workplace up` (a script, not a test): the time to the first desk and to
N desks, for N = 1, 3 and 5, and the second `up` against the first.

For each N, a lab municipality of its own (wpbench, 10.231.88.0/24; tests/integration/workplace_lab.py)
with N desks, the gateway and a service host is started with `landingzone lab up` (timed apart: it is
the lab's, not the workplace's), then `landingzone workplace up` runs twice.

The desks and their gateway start in one of two forms (--desk-image), each measured and printed apart:
  desk  the lab's desk image, which already holds the desktop's packages: the first `up` installs
        nothing, so it is shorter than on a real desk (the office suite is off, as in the lab).
  bare  the plain bookworm lab image, as a desk that has never been a desk: the first `up` installs
        the role's own package list, the office suite included (the role's default for real desks),
        and HAProxy on the gateway. The lab image drops apt's package lists to stay small, where an
        installed Debian has them: they are fetched after `lab up`, timed apart as well.

"Ready to take a login": while the first `up` runs, every desk is polled every POLL seconds through
podman, and is ready from the first poll where the gateway's HAProxy is active, the desk's xrdp and
xrdp-sesman are active, the first person's TOTP file is there and their account has a password. The
clock starts when `workplace up` starts. After the run, a real login through xrdp's PAM stack
(password and code) on every desk proves that ready meant ready.

It prints, per N and form: the lab's start (and the package lists' fetch in the bare form), the time
to the first desk and to the Nth, the whole first `up`, the second `up` and its ratio to the first
(the issue asks at most 0.1), the changes of the second, the tasks run on each host in each run (from
the run's events; a loop counts as one task, skipped tasks do not count) and of them the ones that
executed a module on the host (not an assert, an include or another action of the controller alone),
and each run's seconds per play (where the time went).

    .venv/bin/python benchmarks/workplace_up.py [--desks 1 3 5] [--desk-image desk bare] [--keep]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "integration")]
from lab_cli import ENV, LAB_VAULT_PASSWORD, landingzone  # noqa: E402
from workplace_lab import LAB_IMAGE, PEOPLE, desk_name, gateway_name, pam_login, workplace_fleet  # noqa: E402

from landingzone.workplace_state import run_events  # noqa: E402

MUNICIPALITY, OCTET = "wpbench", 88
POLL = 2.0
# Counted as tasks run on the host (skipped ones did not; a loop's items count as one).
EXECUTED = ("runner_on_ok", "runner_on_failed")
# Actions that run on the controller alone: a task of theirs executes nothing on the host.
CONTROLLER_ONLY = {
    f"ansible.builtin.{action}"
    for action in (
        "assert", "debug", "fail", "set_fact", "include_role", "include_tasks", "meta", "validate_argument_spec",
    )
}  # fmt: skip
# The two forms a benchmarked desk starts from, as the table labels them.
FORMS = {
    "desk": "desk image: the desktop preinstalled, no office suite (the lab's first up)",
    "bare": "bare lab image: the first up installs the desktop and the office suite (a real desk's first up)",
}
WORKPLACE_GROUPS = ("workplace_desks", "workplace_gateways")
# The lab's desks turn the office suite off; the bare form takes the role's default (on) instead.
OFFICE_SUITE_OFF = re.compile(r"^workplace_office_suite: false\n", re.MULTILINE)


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


def latest_run_events(fleet: Path) -> list[dict]:
    latest = max((fleet / ".landingzone" / "runs" / MUNICIPALITY).iterdir(), key=lambda path: path.name)
    return run_events(latest)


def executions_per_host(events: list[dict], on_host_only: bool = False) -> dict[str, int]:
    """Tasks run per host in a run; with ``on_host_only``, those that executed a module on the host."""
    counts = Counter(
        (event.get("event_data") or {}).get("host")
        for event in events
        if event.get("event") in EXECUTED
        and not (on_host_only and (event.get("event_data") or {}).get("task_action") in CONTROLLER_ONLY)
    )
    return {host: count for host, count in sorted(counts.items()) if host}


def seconds_per_play(events: list[dict]) -> dict[str, float]:
    """Where a run's time went: each play's seconds, from its first task's start to the next play's
    (or the run's end), by the events' clocks."""
    marks = [
        (datetime.fromisoformat(event["created"]), (event.get("event_data") or {}).get("play"))
        for event in events
        if event.get("event") in ("playbook_on_play_start", "playbook_on_task_start", "playbook_on_stats")
    ]
    spent: dict[str, float] = {}
    for (started, play), (ended, _) in pairwise(marks):
        spent[play] = spent.get(play, 0.0) + (ended - started).total_seconds()
    return {play: round(seconds, 1) for play, seconds in spent.items() if play}


def start_bare(directory: Path) -> list[str]:
    """The municipality's desks and gateway started from the plain lab image, with the role's default
    office suite; the names of those hosts."""
    hosts_file = directory / "hosts.yml"
    inventory = yaml.safe_load(hosts_file.read_text(encoding="utf-8"))
    names = []
    for group in WORKPLACE_GROUPS:
        for name, host in inventory["all"]["children"][group]["hosts"].items():
            host["lab_image"] = LAB_IMAGE
            names.append(name)
    hosts_file.write_text("---\n" + yaml.safe_dump(inventory, sort_keys=False), encoding="utf-8")
    desk_vars = directory / "group_vars" / "workplace_desks" / "workplace.yml"
    text, found = OFFICE_SUITE_OFF.subn("", desk_vars.read_text(encoding="utf-8"))
    if found != 1:
        sys.exit(f"{desk_vars}: no line 'workplace_office_suite: false' to take out; the benchmark needs updating")
    desk_vars.write_text(text, encoding="utf-8")
    return names


def has_office_suite(desk: str) -> bool:
    """Whether the desk has LibreOffice Writer installed: proof of which first `up` the form measured."""
    ran = podman("exec", desk, "dpkg-query", "-W", "-f", "${Status}", "libreoffice-writer")
    return ran.returncode == 0 and ran.stdout.strip() == "install ok installed"


def fetch_package_lists(hosts: list[str]) -> None:
    for host in hosts:
        ran = podman("exec", host, "apt-get", "update", "-qq")
        if ran.returncode != 0:
            sys.exit(f"{host}: apt-get update failed:\n{ran.stderr[-2000:]}")


def one_size(desks: int, form: str, keep: bool) -> dict:
    fleet = Path(tempfile.mkdtemp(prefix=f"workplace-bench-{form}-{desks}-"))
    directory = workplace_fleet(fleet, MUNICIPALITY, OCTET, desks)
    bare_hosts = start_bare(directory) if form == "bare" else []
    names = [desk_name(MUNICIPALITY, index) for index in range(1, desks + 1)]
    lab_started = time.monotonic()
    up = landingzone(fleet, "lab", "up", MUNICIPALITY, timeout=900)
    if up.returncode != 0:
        sys.exit(f"lab up failed:\n{up.stdout[-2000:]}\n{up.stderr[-2000:]}")
    lab_seconds = time.monotonic() - lab_started
    try:
        lists_started = time.monotonic()
        fetch_package_lists(bare_hosts)
        lists_seconds = time.monotonic() - lists_started if bare_hosts else None
        watch = ReadinessWatch(names, gateway_name(MUNICIPALITY), PEOPLE[0], time.monotonic())
        watch.start()
        first, first_seconds = workplace_up(fleet)
        watch.stop.set()
        watch.join()
        first_events = latest_run_events(fleet)
        second, second_seconds = workplace_up(fleet)
        second_events = latest_run_events(fleet)
        logins = {desk: pam_login(desk, PEOPLE[0]) == 0 for desk in names}
        office = {desk: has_office_suite(desk) for desk in names}
    finally:
        if not keep:
            landingzone(fleet, "lab", "down", MUNICIPALITY)
    ready = sorted(watch.ready.values())
    return {
        "form": form,
        "desks": desks,
        "lab_up": lab_seconds,
        "package_lists": lists_seconds,
        "first_desk": ready[0] if ready else None,
        "all_desks": ready[-1] if len(ready) == desks else None,
        "first_up": first_seconds,
        "second_up": second_seconds,
        "ratio": second_seconds / first_seconds,
        "second_changes": second["changed_total"],
        "first_executions": executions_per_host(first_events),
        "second_executions": executions_per_host(second_events),
        "first_modules": executions_per_host(first_events, on_host_only=True),
        "second_modules": executions_per_host(second_events, on_host_only=True),
        "first_plays": seconds_per_play(first_events),
        "second_plays": seconds_per_play(second_events),
        "logins": logins,
        "office_suite": office,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--desks", type=int, nargs="+", default=[1, 3, 5], choices=range(1, len(PEOPLE) + 1))
    parser.add_argument(
        "--desk-image", nargs="+", default=list(FORMS), choices=list(FORMS), dest="forms",
        help="what the desks and the gateway start from: desk (the lab's desk image), bare (the plain lab image)",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="leave the last lab up")
    args = parser.parse_args()
    runs = [(desks, form) for desks in args.desks for form in args.forms]
    rows = []
    for index, (desks, form) in enumerate(runs):
        row = one_size(desks, form, args.keep and index == len(runs) - 1)
        rows.append(row)
        print(json.dumps(row), flush=True)

    def seconds(value) -> str:
        return "-" if value is None else f"{value:.0f}"

    print()
    for form in args.forms:
        print(f"{form}: {FORMS[form]}")
    print(
        f"\n{'form':<5} {'N':>2} {'lab up':>7} {'apt lists':>10} {'1st desk':>9} {'N desks':>8} {'up':>6} "
        f"{'2nd up':>7} {'2nd/1st':>8} changes"
    )
    for row in rows:
        print(
            f"{row['form']:<5} {row['desks']:>2} {seconds(row['lab_up']):>7} {seconds(row['package_lists']):>10} "
            f"{seconds(row['first_desk']):>9} {seconds(row['all_desks']):>8} {seconds(row['first_up']):>6} "
            f"{seconds(row['second_up']):>7} {row['ratio']:>8.2f} {row['second_changes']}"
        )
    for row in rows:
        print(
            f"{row['form']} N={row['desks']}: tasks run per host, first up {row['first_executions']}, "
            f"second up {row['second_executions']}; of them modules executed on the host, first up "
            f"{row['first_modules']}, second up {row['second_modules']}; a real login on every desk afterwards: "
            f"{row['logins']}; LibreOffice on the desk: {row['office_suite']}"
        )
        print(f"{row['form']} N={row['desks']}: seconds per play, first up {row['first_plays']}")
        print(f"{row['form']} N={row['desks']}: seconds per play, second up {row['second_plays']}")


if __name__ == "__main__":
    main()
