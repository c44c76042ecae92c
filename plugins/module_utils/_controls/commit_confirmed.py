"""Commit confirmed, as routers do it: the host undoes a run nobody could log in after.

Before the engine commits, the host arms its own revert: a transient systemd timer
(`systemd-run --on-active`) whose service rolls the run back from its dated copies.
After the commit, the controller opens a new SSH connection as the same account and
becomes root again; that second module run (mode `confirm`) disarms the timer. When it
never arrives, the timer fires and the host puts its old configuration back.

The revert must not need the controller: the engine code it runs is copied next to the
run's backups when the timer is armed. So this module, and everything it imports,
imports nothing from ansible itself.

Timing: the timer fires `seconds` after arming, but the revert waits until `seconds`
after the commit has finished (a long commit, such as an AIDE database, must not eat
the operator's time to confirm). Arming, committing, confirming and reverting take one
lock in the run's directory, so a late confirmation and the revert cannot cross.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import json
import os
import shutil
import sys
import time

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import fileops, locks

PACKAGE = "ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls"
# What the revert runs, and all it imports: copied to the host when the timer is armed.
REVERT_MODULES = (
    "accounts",
    "commit_confirmed",
    "fileops",
    "host",
    "locks",
    "results",
    "rollback",
    "runner",
    "transaction",
    "validators",
)
UNIT_PREFIX = "landingzone-confirm-"
STATE, LOCK, CONFIRMED, REVERTED = "confirm.json", "confirm.lock", "confirmed", "reverted.json"
ENGINE_DIR, ENTRY = "revert-engine", "revert.py"
REVERT_WAITS_FOR_RUN = 600  # seconds the revert waits for another engine run to finish


class ArmError(RuntimeError):
    """The revert could not be armed: nothing may be committed then."""


class ConfirmError(RuntimeError):
    pass


def unit_name(run_id):
    return UNIT_PREFIX + run_id


@contextlib.contextmanager
def _locked(directory):
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(directory, LOCK), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def _write_json(path, data):
    fileops.atomic_replace(path, json.dumps(data, indent=2, sort_keys=True).encode(), 0o600, 0, 0)


def _copy_engine(directory):
    """The engine modules the revert runs, as source files under `directory`."""
    target = os.path.join(directory, ENGINE_DIR, *PACKAGE.split("."))
    os.makedirs(target, mode=0o700, exist_ok=True)
    # Regular packages all the way down: an ansible_collections the host may have installed
    # elsewhere on the path must not shadow this copy.
    for depth in range(1, len(PACKAGE.split(".")) + 1):
        package = os.path.join(directory, ENGINE_DIR, *PACKAGE.split(".")[:depth], "__init__.py")
        open(package, "a", encoding="utf-8").close()
    for name in REVERT_MODULES:
        module = importlib.import_module(f"{PACKAGE}.{name}")
        source = module.__loader__.get_source(module.__name__) if hasattr(module.__loader__, "get_source") else None
        if not source:
            raise ArmError(f"cannot copy the engine module {name} for the revert")
        with open(os.path.join(target, f"{name}.py"), "w", encoding="utf-8") as handle:
            handle.write(source)
    entry = os.path.join(directory, ENTRY)
    with open(entry, "w", encoding="utf-8") as handle:
        handle.write(
            "# Written by cyberveilig.landingzone: reverts this run unless it was confirmed in time.\n"
            "import sys\n"
            f"sys.path.insert(0, {os.path.join(directory, ENGINE_DIR)!r})\n"
            f"from {PACKAGE}.commit_confirmed import revert_main\n"
            "sys.exit(revert_main(sys.argv[1:]))\n"
        )
    return entry


def commit(host):
    """Commit the staged run; armed first when commit confirmed is on and there is something to commit."""
    tx = host.tx
    seconds = host.confirm_seconds
    if not seconds or not tx.pending():
        tx.commit()
        return None
    directory = host.backup_root()
    unit = unit_name(host.run_id)
    with _locked(directory):
        entry = _copy_engine(directory)
        _write_json(os.path.join(directory, STATE), {"seconds": seconds, "unit": unit, "committed_at": None})
        armed = host.run(
            [
                "systemd-run",
                "--unit",
                unit,
                "--description",
                f"Revert landingzone run {host.run_id} unless it is confirmed",
                f"--on-active={seconds}",
                "--timer-property=AccuracySec=1s",
                sys.executable,
                entry,
                host.root,
                host.backup_dir,
                host.run_id,
            ]
        )
        if not armed.ok:
            raise ArmError(f"systemd-run could not arm the revert timer: {armed.message()}")
        tx.commit()
        _write_json(
            os.path.join(directory, STATE), {"seconds": seconds, "unit": unit, "committed_at": round(time.time(), 3)}
        )
    return {"unit": unit, "seconds": seconds}


def confirm(host, run_id):
    """Disarm the revert of `run_id`: {'confirmed': bool, 'reverted': bool, 'revert': records}."""
    directory = host.backup_root(run_id)
    state = _read_json(os.path.join(directory, STATE))
    if state is None:
        raise ConfirmError(f"run {run_id} has no armed revert under {host.backup_dir}")
    with _locked(directory):
        reverted = _read_json(os.path.join(directory, REVERTED))
        if reverted is None:
            with open(os.path.join(directory, CONFIRMED), "w", encoding="utf-8") as handle:
                handle.write(f"{time.time():.3f}\n")
    if reverted is not None:
        return {"confirmed": False, "reverted": True, "revert": reverted}
    host.run(["systemctl", "stop", f"{state['unit']}.timer", f"{state['unit']}.service"])
    shutil.rmtree(os.path.join(directory, ENGINE_DIR), ignore_errors=True)
    return {"confirmed": True, "reverted": False}


def revert_main(argv, runner=None, sleep=time.sleep):
    """The timer's service: `revert.py ROOT BACKUP_DIR RUN_ID`. Exit 0 when confirmed or reverted."""
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.host import Host
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.rollback import rollback

    root, backup_dir, run_id = argv
    host = Host(root=root, runner=runner, host_kind="server", backup_dir=backup_dir, run_id=f"{run_id}-revert")
    directory = host.backup_root(run_id)
    while True:
        with _locked(directory):
            if os.path.exists(os.path.join(directory, CONFIRMED)):
                sys.stdout.write(f"landingzone run {run_id} was confirmed; nothing to revert\n")
                return 0
            state = _read_json(os.path.join(directory, STATE)) or {}
            committed = state.get("committed_at")
            # A run whose commit never finished (the module died) is reverted at once.
            wait = committed + state.get("seconds", 0) - time.time() if committed else 0
            if wait <= 0:
                # Another engine run may be committing right now: let it finish first.
                with locks.run_lock(host, wait_seconds=REVERT_WAITS_FOR_RUN):
                    records = rollback(host, run_id)
                errors = [r for r in records if r["status"] == "error"]
                _write_json(
                    os.path.join(directory, REVERTED),
                    {
                        "reverted_at": round(time.time(), 3),
                        "why": f"no fresh login confirmed the run within {state.get('seconds')} s of its commit",
                        "revert_run": host.run_id,
                        "restored": [r["id"] for r in records if r["status"] == "fixed"],
                        "errors": [f"{r['id']}: {r['reason']}" for r in errors],
                    },
                )
                sys.stdout.write(f"landingzone run {run_id} reverted: {len(records)} file(s), {len(errors)} error(s)\n")
                return 1 if errors else 0
        sleep(wait)
