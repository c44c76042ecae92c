"""A progress line per municipality: hosts done of total, controls passed and failed.

On a terminal the lines are redrawn in place as bars; otherwise (CI, a pipe, a
log file) a plain line is printed only when a host finishes or the run ends, so
logs stay readable. Threads of a fleet run share one board.
"""

import sys
import threading
from typing import TextIO

from landingzone.runner.events import Progress

BAR_WIDTH = 20


def _bar(done: int, total: int) -> str:
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    return "#" * filled + "-" * (BAR_WIDTH - filled)


def describe(progress: Progress) -> str:
    state = "finished" if progress.finished else "running"
    return (
        f"{progress.municipality}: hosts {progress.hosts_done}/{progress.hosts_total}, "
        f"controls {progress.controls_passed} passed, {progress.controls_failed} failed ({state})"
    )


class ProgressBoard:
    def __init__(self, stream: TextIO | None = None, interactive: bool | None = None):
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self._lock = threading.Lock()
        self._rows: dict[str, Progress] = {}
        self._drawn = 0

    def update(self, progress: Progress) -> None:
        with self._lock:
            before = self._rows.get(progress.municipality)
            self._rows[progress.municipality] = progress
            if self.interactive:
                self._redraw()
            elif before is None or (before.hosts_done, before.finished) != (progress.hosts_done, progress.finished):
                self.stream.write(describe(progress) + "\n")
                self.stream.flush()

    def _redraw(self) -> None:
        if self._drawn:
            self.stream.write(f"\x1b[{self._drawn}F")
        width = max(len(name) for name in self._rows)
        for name, p in self._rows.items():
            mark = "done" if p.finished else "    "
            self.stream.write(
                f"\x1b[2K{name:<{width}} [{_bar(p.hosts_done, p.hosts_total)}] {p.hosts_done}/{p.hosts_total} hosts  "
                f"{p.controls_passed} passed  {p.controls_failed} failed  {mark}\n"
            )
        self._drawn = len(self._rows)
        self.stream.flush()
