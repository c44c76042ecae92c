"""What a run that did not end normally leaves behind, cleaned up.

ansible-runner's callback writes every event unredacted to
``artifacts/<ident>/job_events/<uuid>-partial.json``; the wrapper reads it, redacts it, writes
the event and removes the partial. A run that ends any other way leaves partials that hold
the vault's secrets in plain text:

- stopped (SIGINT, SIGTERM) or crashed: the run removes them itself, in a ``finally``;
- killed (SIGKILL, a power cut): nothing of the wrapper runs. Worse, ansible-playbook lives on
  in its own session, without the municipality's lock, and keeps writing partials to its end.
  So the run records its job's process id (``job.pid``) on the first event, and the next run
  of the municipality, holding the lock, stops such an orphan and then removes the partials
  of every earlier run.
"""

import contextlib
import os
import signal
import time
from pathlib import Path

JOB_PID_FILE = "job.pid"
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


def record_job_pid(run_dir: Path, pid: int) -> None:
    (run_dir / JOB_PID_FILE).write_text(f"{pid}\n", encoding="utf-8")


def _job_of_run(pid: int, run_dir: Path) -> bool:
    """Whether process `pid` is still the job of `run_dir`: ansible-runner gives it the run's
    artifact directory in AWX_ISOLATED_DATA_DIR, so a reused process id never matches."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    marker = b"AWX_ISOLATED_DATA_DIR=" + str(run_dir.resolve()).encode() + b"/"
    return any(entry.startswith(marker) for entry in environ)


def stop_orphaned_job(run_dir: Path) -> int | None:
    """Stop the job a killed run left running (its whole process group), if any; its pid or None."""
    try:
        pid = int((run_dir / JOB_PID_FILE).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    if not _job_of_run(pid, run_dir):
        return None
    # The job leads its own session (pexpect), so its group holds its workers and their ssh.
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        # A dead process (a zombie too) has no environment left to match.
        while time.monotonic() < deadline and _job_of_run(pid, run_dir):
            time.sleep(0.1)
        if not _job_of_run(pid, run_dir):
            break
    return pid


def clean_earlier_runs(municipality_runs: Path) -> list[Path]:
    """Before a run: stop the orphaned jobs of earlier, killed runs and remove their unredacted
    events. Call it only while holding the municipality's lock. Returns the files removed."""
    removed: list[Path] = []
    if not municipality_runs.is_dir():
        return removed
    for run_dir in sorted(path for path in municipality_runs.iterdir() if path.is_dir() and not path.is_symlink()):
        stop_orphaned_job(run_dir)
        removed += remove_partial_events(run_dir)
        with contextlib.suppress(FileNotFoundError):
            (run_dir / JOB_PID_FILE).unlink()
    return removed
