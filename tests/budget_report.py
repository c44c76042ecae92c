"""The time budget of a test run, printed at its end: the total and the ten slowest parts.

A part is a molecule scenario, or a test file with everything its tests and fixtures took
(a module's lab is paid for by its first test). It is a report, never a failing test: timings
on shared machines are noisy. `make test` passes LZ_TEST_STARTED (when make began, lint and
image checks included), so the total is the whole command's; pytest alone counts otherwise.
Past 50 minutes it warns: CI stops a run at 90, and the suite must leave room for what comes."""

from __future__ import annotations

import os
import time
from collections import defaultdict

WARN_AFTER_MINUTES = 50
PARTS_SHOWN = 10

_started = time.time()
_seconds_by_part: dict[str, float] = defaultdict(float)


def part_of(nodeid: str) -> str:
    """A molecule scenario is a part of its own; any other test belongs to its file."""
    path, _, rest = nodeid.partition("::")
    if path.endswith("test_molecule.py") and "[" in rest:
        return "molecule " + rest[rest.index("[") + 1 : -1]
    return path


def pytest_runtest_logreport(report):
    _seconds_by_part[part_of(report.nodeid)] += report.duration


def pytest_terminal_summary(terminalreporter):
    if not _seconds_by_part:
        return
    now = time.time()
    started = float(os.environ.get("LZ_TEST_STARTED") or _started)
    total = now - started
    what = "make test" if os.environ.get("LZ_TEST_STARTED") else "pytest"
    write = terminalreporter.write_line
    terminalreporter.section("time budget")
    write(f"{what}: {total / 60:.1f} min in all (pytest {(now - _started) / 60:.1f} min)")
    write(f"the {PARTS_SHOWN} slowest parts:")
    for part, seconds in sorted(_seconds_by_part.items(), key=lambda item: -item[1])[:PARTS_SHOWN]:
        write(f"  {seconds:7.1f} s  {part}")
    if total > WARN_AFTER_MINUTES * 60:
        write(
            f"WARNING: {what} took {total / 60:.0f} min, past the {WARN_AFTER_MINUTES}-minute budget: "
            "move a full proof to `make test-slow` (mark it slow) and keep a smoke of it",
            yellow=True,
            bold=True,
        )
