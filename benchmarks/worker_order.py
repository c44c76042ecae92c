"""Whether the order of make test's work units matters on two pytest workers (a script, not a test).

It collects the tests `make test` selects, groups them into work units as tests/worker_groups.py
does, and replays pytest-xdist's loadscope dispatch on two workers for two orders:

- by mark, as tests/worker_groups.py queues them: the VMs, the molecule scenarios, the lab tests,
  the rest;
- longest first: the units of MEASURED_SECONDS below by their measured time, then the rest by mark.

The replay follows xdist's rules: each worker starts with one unit and takes the next one from the
queue whenever two tests or fewer are left on it (so a worker running a one-test molecule scenario
already holds the next unit). A unit of the table takes its measured seconds; every other test
takes an equal share of what the table leaves of the measured run (--pytest-seconds on two workers).
As that share is a guess, the replay runs again --trials times with each unmeasured unit's time
drawn between half and one and a half of its guess. It prints, for each order, the wall time
(the last worker's end), the other worker's idle time at the end, the unit that started last and
when the last unit of the table started.

    .venv/bin/python benchmarks/worker_order.py [--pytest-seconds 1950] [--trials 200]
"""

from __future__ import annotations

import argparse
import heapq
import random
import statistics
import sys
from collections import OrderedDict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import worker_groups  # noqa: E402  (after tests/ is on the path)

MAKE_TEST_MARKS = "not slow and (not vm or vm_smoke)"  # the Makefile's `test` target
WORKERS = 2
# xdist's loadscope gives a worker more work once this many tests or fewer are left on it.
REFILL_AT = 2
# Worker seconds of the units that take minutes, from make test's time budget on a clean clone
# (CI=true bash .ci/run, two workers, a quiet machine), rounded. "qemu" is both VM smokes as they
# were measured, each with a boot of its own.
MEASURED_SECONDS = {
    "tests/integration/test_molecule.py::test_scenario[backup]": 440,
    "tests/integration/test_restore_drill.py": 410,
    "qemu": 350,
    "tests/contract/test_supplier_contract.py": 265,
    "tests/integration/test_molecule.py::test_scenario[vpn_gateway]": 205,
    "tests/integration/test_molecule.py::test_scenario[citizen_portal]": 175,
    "tests/integration/test_molecule.py::test_scenario[vpn_ipsec]": 165,
    "tests/integration/test_molecule.py::test_scenario[linux_baseline]": 165,
    "tests/integration/test_molecule.py::test_scenario[linux_baseline_lockout]": 165,
    "tests/integration/test_molecule.py::test_scenario[linux_baseline_stock]": 150,
    "tests/integration/test_molecule.py::test_scenario[default]": 135,
    "tests/contract/test_supplier_scaffold_molecule.py": 110,
    "tests/integration/test_collection_clean_room.py": 80,
    "tests/integration/test_lint_clean.py": 70,
}


def longest_first(item):
    """The measured units by their time, then the others by mark."""
    return (-MEASURED_SECONDS.get(worker_groups.work_unit(item.nodeid), 0), worker_groups._rank(item))


class _Collector:
    def __init__(self):
        self.items = []

    def pytest_collection_finish(self, session):
        self.items = list(session.items)


def collect():
    collector = _Collector()
    code = pytest.main(
        ["--collect-only", "-q", "-p", "no:cacheprovider", "-m", MAKE_TEST_MARKS, str(ROOT / "tests")],
        plugins=[collector],
    )
    if code != 0:
        sys.exit(f"worker_order: collecting make test's tests failed (exit {code})")
    return collector.items


def units_in_order(items, key):
    """{unit: number of tests}, in the order xdist would queue them after sorting by ``key``."""
    units = OrderedDict()
    for item in sorted(items, key=key):
        unit = worker_groups.work_unit(item.nodeid)
        units[unit] = units.get(unit, 0) + 1
    return units


def replay(units, seconds):
    """(wall, idle at the end, last unit started, {unit: when it started}) of xdist's loadscope
    dispatch on WORKERS workers."""
    queue = list(units.items())
    pending = [[] for _ in range(WORKERS)]  # per worker: [unit, seconds per test] per test left
    clock = [0.0] * WORKERS
    last_started = [None]
    started = {}

    def refill(worker):
        if queue and len(pending[worker]) <= REFILL_AT:
            unit, count = queue.pop(0)
            pending[worker].extend([(unit, seconds[unit] / count)] * count)

    for worker in range(WORKERS):
        refill(worker)
    for worker in range(WORKERS):
        refill(worker)
    events = [(0.0, worker) for worker in range(WORKERS)]
    while events:
        now, worker = heapq.heappop(events)
        clock[worker] = now
        if not pending[worker]:
            continue
        unit, duration = pending[worker].pop(0)
        if unit not in started:
            started[unit] = now
            last_started[0] = unit
        refill(worker)
        heapq.heappush(events, (now + duration, worker))
    wall = max(clock)
    return wall, wall - min(clock), last_started[0], started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--pytest-seconds", type=float, default=1950, help="pytest's wall time of the measured run (two workers)"
    )
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()

    items = collect()
    by_mark = units_in_order(items, worker_groups._rank)
    longest = units_in_order(items, longest_first)
    measured = {unit: s for unit, s in MEASURED_SECONDS.items() if unit in by_mark}
    other_tests = sum(count for unit, count in by_mark.items() if unit not in measured)
    left = WORKERS * args.pytest_seconds - sum(measured.values())
    per_test = left / other_tests
    print(
        f"{len(items)} tests in {len(by_mark)} units; {len(measured)} measured units take "
        f"{sum(measured.values()):.0f} s, the other {other_tests} tests {per_test:.2f} s each (guessed)"
    )

    def seconds_of(scale):
        return {unit: measured.get(unit, count * per_test * scale(unit)) for unit, count in by_mark.items()}

    results = {}
    for name, order in (("by mark", by_mark), ("longest first", longest)):
        wall, idle, last, started = replay(order, seconds_of(lambda unit: 1.0))
        latest = max(measured, key=started.__getitem__)
        print(f"{name:>15}: wall {wall:7.0f} s, idle at the end {idle:5.0f} s, last unit started: {last}")
        print(f"{'':>15}  the last measured unit to start, {latest}, starts at {started[latest]:.0f} s")
        results[name] = []
    rng = random.Random(14)
    for _ in range(args.trials):
        factors = {unit: rng.uniform(0.5, 1.5) for unit in by_mark}
        seconds = seconds_of(factors.__getitem__)
        for name, order in (("by mark", by_mark), ("longest first", longest)):
            results[name].append(replay(order, seconds)[0])
    print(f"{args.trials} trials, unmeasured units at 0.5-1.5 times their guess (wall, s):")
    for name, walls in results.items():
        print(f"{name:>15}: median {statistics.median(walls):7.0f}, worst {max(walls):7.0f}, best {min(walls):7.0f}")
    ratio = statistics.median(results["longest first"]) / statistics.median(results["by mark"])
    print(f"longest first / by mark (median wall): {ratio:.3f}")


if __name__ == "__main__":
    main()
