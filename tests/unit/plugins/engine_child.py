"""One engine run in a process of its own, for the fault-injection tests.

    python engine_child.py SPEC.json

SPEC: root, run_id, controls, mode (apply or rollback, with rollback_run), report (where
the result goes as JSON), and the faults to inject:
- kill_before: the process SIGKILLs itself just before its Nth step. A step is what a
  crash can fall between: each rename (os.replace, the end of every atomic write), each
  removal (os.unlink) and each command that changes the host. The report of an
  undisturbed run gives the number of steps.
- full_disk: {source, copy_out, free_pages}: run in a private mount namespace
  (`unshare -m`), on a small tmpfs mounted over root holding a copy of source and
  filled until only free_pages pages are left; afterwards the filler is removed and the
  tree copied to copy_out, since the tmpfs ends with the process.
- pause_dir: after staging, with both locks held, create pause_dir/paused and wait for
  pause_dir/go (what a neighbour sees while a run sits between reading and writing).
The engine is the real one; only the commands are the harness's fakes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

# The harness beside this file, and the collection (as engine_harness finds it).
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[3] / "collections")]

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import engine, locks  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.engine import Engine  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.rollback import rollback  # noqa: E402
from engine_harness import FakeSystem, is_read_only, make_host  # noqa: E402


class Steps:
    def __init__(self, kill_before):
        self.kill_before = kill_before
        self.count = 0

    def step(self):
        self.count += 1
        if self.count == self.kill_before:
            os.kill(os.getpid(), signal.SIGKILL)

    def wrap(self, function):
        def stepped(*args, **kwargs):
            self.step()
            return function(*args, **kwargs)

        return stepped


def _pause_after_staging(pause_dir):
    guard = engine.lockout.guard

    def paused(run):
        notes = guard(run)
        (pause_dir / "paused").touch()
        deadline = time.monotonic() + 60
        while not (pause_dir / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return notes

    engine.lockout.guard = paused


def _fill_tmpfs(spec):
    """Mount a tmpfs over root, copy the tree in, and leave free_pages pages free."""
    disk = spec["full_disk"]
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "lz-full-disk", spec["root"]], check=True)
    subprocess.run(["cp", "-a", f"{disk['source']}/.", spec["root"]], check=True)
    filler = Path(spec["root"]) / "filler"
    info = os.statvfs(spec["root"])
    free = info.f_bavail * info.f_frsize
    with open(filler, "wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * max(free - disk["free_pages"] * info.f_frsize, 0))
    return filler


def _copy_out(spec, filler):
    filler.unlink()
    subprocess.run(["cp", "-a", f"{spec['root']}/.", spec["full_disk"]["copy_out"]], check=True)


def main(spec_path):
    spec = json.loads(Path(spec_path).read_text())
    filler = _fill_tmpfs(spec) if spec.get("full_disk") else None
    steps = Steps(spec.get("kill_before", 0))
    system = FakeSystem(spec["root"])
    run_command = system.run

    def run(argv, env=None, stdin=None):
        if not is_read_only(argv):
            steps.step()
        return run_command(argv, env=env, stdin=stdin)

    system.run = run
    os.replace, os.unlink = steps.wrap(os.replace), steps.wrap(os.unlink)
    if spec.get("pause_dir"):
        _pause_after_staging(Path(spec["pause_dir"]))
    host = make_host(system, run_id=spec["run_id"])
    try:
        if spec.get("mode") == "rollback":
            with locks.run_lock(host):
                report = {"results": rollback(host, spec["rollback_run"])}
        else:
            report = Engine(host).run(spec["controls"], "apply")
    except locks.LockBusy as exc:
        report = {"error": str(exc)}
    report["steps"] = steps.count
    if filler:
        _copy_out(spec, filler)
    Path(spec["report"]).write_text(json.dumps(report, default=str))
    return 3 if "error" in report else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
