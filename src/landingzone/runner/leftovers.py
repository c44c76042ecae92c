"""What a run that did not end normally leaves behind, cleaned up.

ansible-runner's callback writes every event unredacted to
``artifacts/<ident>/job_events/<uuid>-partial.json``; the wrapper reads it, redacts it, writes
the event and removes the partial. A run that ends any other way leaves partials that hold
the vault's secrets in plain text, and may leave processes:

- ansible-runner cancels a job by killing its process group, but ansible-playbook runs each
  task in a worker of its own session, and that worker (with its module, on a local
  connection) lives on;
- a killed wrapper (SIGKILL, a power cut) runs nothing at all: ansible-playbook lives on in
  its own session, without the municipality's lock, writing partials to its end.

Every process of a job carries the run's artifact directory in its environment
(AWX_ISOLATED_DATA_DIR, which ansible-runner sets and every child inherits), so that is how
they are found, never by a process id alone. A run stops them and removes its partials
however it ends; the next run of the municipality, holding the lock, does the same for every
earlier run, which covers a killed wrapper.
"""

import contextlib
import os
import signal
import time
from pathlib import Path

# The callback writes `<uuid>-partial.json.tmp` and renames it; the wrapper writes `<n>-<uuid>.json.tmp`.
UNREDACTED = ("*-partial.json", "*-partial.json.tmp", "*.json.tmp")
STOP_GRACE_SECONDS = 5.0


def remove_partial_events(run_dir: Path) -> list[Path]:
    """Remove the unredacted event files of one run directory; returns what was removed."""
    removed = []
    for pattern in UNREDACTED:
        for path in sorted(run_dir.glob(f"artifacts/*/job_events/{pattern}")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
    return removed


def processes_of_run(run_dir: Path) -> list[int]:
    """The processes whose environment names this run's artifacts: its job, the job's workers
    and what they started on this machine. A zombie has no environment left, and is not one."""
    marker = b"AWX_ISOLATED_DATA_DIR=" + str(run_dir.resolve()).encode() + b"/"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone, or another user's
        if any(item.startswith(marker) for item in environ.split(b"\0")):
            found.append(int(entry.name))
    return found


def stop_processes_of_run(run_dir: Path) -> list[int]:
    """Stop every process of the run (SIGTERM, then SIGKILL after a grace); returns their ids."""
    stopped = processes_of_run(run_dir)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = processes_of_run(run_dir)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = processes_of_run(run_dir)
        if not left:
            break
    return stopped


def clean_earlier_runs(municipality_runs: Path) -> list[Path]:
    """Before a run: stop what earlier runs left running and remove their unredacted events.
    Call it only while holding the municipality's lock. Returns the files removed."""
    removed: list[Path] = []
    if not municipality_runs.is_dir():
        return removed
    for run_dir in sorted(path for path in municipality_runs.iterdir() if path.is_dir() and not path.is_symlink()):
        stop_processes_of_run(run_dir)
        removed += remove_partial_events(run_dir)
    return removed
