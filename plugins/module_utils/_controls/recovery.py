"""Finish what a dead run left: complete it, or roll it back, and say which.

A run that died while committing (SIGKILL, power loss, the module's process killed with
its SSH session) leaves its manifest in state "committing". Its manifest names, before
the first file was replaced, every file the run was about to write and the sha256 of
each new content (the plan). The next run that commits looks at the disk:

- every planned file holds its new content: the files are all in place, only follow-ups
  may be missing. The run is completed: the restarts it planned run now, and its
  manifest says "committed", so that `rollback` of it still works.
- otherwise the host holds part old, part new files: the run is rolled back from its
  dated copies, as `rollback` would, as a run of its own that can be undone too.

Both happen under the run lock, before the new run stages anything, so the new run sees
a consistent host. A temporary file a killed atomic replace left next to its target is
removed.
"""

from __future__ import annotations

import json
import os

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import fileops
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import (
    COMMITTED,
    COMMITTING,
    MANIFEST,
)

COMPLETED, ROLLED_BACK = "completed", "rolled back"
TEMP_PREFIX = ".lz-"  # fileops.atomic_replace's temporary files


def interrupted_runs(host):
    """Run ids whose manifest is still 'committing', newest first (a recovery that died comes first)."""
    base = host.path(host.backup_dir)
    try:
        names = sorted(os.listdir(base), reverse=True)
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        manifest = _read(os.path.join(base, name, MANIFEST))
        if manifest and manifest.get("state") == COMMITTING and name != host.run_id:
            found.append(name)
    return found


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return None


def _all_new(host, plan):
    for path, sha in plan.items():
        data = fileops.read_bytes(host.path(path))
        if (data is None) != (sha is None) or (data is not None and fileops.sha256_of(data) != sha):
            return False
    return True


def _remove_temporaries(host, manifest):
    directories = {os.path.dirname(host.path(p)) for p in [*manifest.get("plan", {}), *manifest.get("replaced", [])]}
    directories.add(host.backup_root(manifest["run_id"]))
    for directory in directories:
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            continue
        for name in names:
            if name.startswith(TEMP_PREFIX):
                os.unlink(os.path.join(directory, name))


def recover(host, make_host):
    """Complete or roll back every interrupted run; one record per run for the report.

    make_host(run_id) gives a fresh Host for a rollback of its own (own transaction,
    own dated copies), as the revert of a confirmed commit does.
    """
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.rollback import rollback

    outcomes = []
    for number, run_id in enumerate(interrupted_runs(host), start=1):
        path = os.path.join(host.backup_root(run_id), MANIFEST)
        manifest = _read(path)
        _remove_temporaries(host, manifest)
        plan = manifest.get("plan", {})
        if _all_new(host, plan):
            failed = []
            for argv in manifest.get("reload_planned", []):
                result = host.run(argv)
                if not result.ok:
                    failed.append(f"{' '.join(argv)}: {result.message()}")
            manifest.update(state=COMMITTED, recovered={"by": host.run_id, "outcome": COMPLETED})
            outcome = {"run_id": run_id, "outcome": COMPLETED, "files": sorted(plan), "errors": failed}
        else:
            undo = make_host(f"{host.run_id}-recovers-{number}")
            records = rollback(undo, run_id)
            failed = [f"{r['id']}: {r['reason']}" for r in records if r["status"] == "error"]
            manifest.update(state=COMMITTED, recovered={"by": undo.run_id, "outcome": ROLLED_BACK})
            outcome = {"run_id": run_id, "outcome": ROLLED_BACK, "files": sorted(plan), "errors": failed}
            outcome["rollback_run"] = undo.run_id
        if not failed:
            fileops.atomic_replace(path, json.dumps(manifest, indent=2, sort_keys=True).encode(), 0o600, 0, 0)
        outcomes.append(outcome)
    return outcomes


def describe(outcome):
    """One line for the operator: which run, what was done, and with which files."""
    files = ", ".join(outcome["files"]) or "no files"
    text = f"run {outcome['run_id']} was interrupted while committing; {outcome['outcome']} ({files})"
    if outcome.get("rollback_run"):
        text += f" by run {outcome['rollback_run']}"
    if outcome["errors"]:
        text += "; errors: " + "; ".join(outcome["errors"])
    return text
