"""Undo one earlier run: put back its dated copies, remove the files it created, reload."""

from __future__ import annotations

import json
import os
import stat

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import fileops, results
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import (
    MANIFEST,
    PHASE_LIVE,
    PHASE_METADATA,
    PHASE_RELOAD,
    Action,
)


class RollbackError(Exception):
    pass


def _restore_metadata(change):
    def apply(ctx):
        try:
            os.chown(ctx.path(change["path"]), change["uid"], change["gid"])
            os.chmod(ctx.path(change["path"]), change["mode"])
        except OSError as exc:
            return CommandResult(1, "", f"{change['path']}: {exc}")
        return CommandResult(0, "", "")

    return apply


def rollback(host, run_id):
    """Stage the restore of run_id as a transaction of its own (so it is backed up too) and commit it."""
    source = host.backup_root(run_id)
    try:
        with open(os.path.join(source, MANIFEST), encoding="utf-8") as handle:
            manifest = json.load(handle)
    except FileNotFoundError as exc:
        raise RollbackError(f"no backups of run {run_id} under {host.backup_dir}") from exc
    tx = host.tx
    pseudo = {}
    for path in manifest.get("replaced", []):
        copy = os.path.join(source, path.lstrip("/"))
        info = os.stat(copy)
        tx.current = path
        tx.stage_bytes(
            path, fileops.read_bytes(copy), mode=stat.S_IMODE(info.st_mode), owner=info.st_uid, group=info.st_gid
        )
        pseudo[path] = "restore"
    for path in manifest.get("created", []):
        tx.current = path
        tx.stage_bytes(path, None)
        pseudo[path] = "remove"
    # Newest change first, so a file changed twice ends with its oldest mode and owner.
    for change in reversed(manifest.get("metadata", [])):
        tx.current = change["path"]
        tx.add_action(
            Action(
                key=("metadata", change["path"]),
                description=f"restore mode/owner of {change['path']}",
                phase=PHASE_METADATA,
                call=_restore_metadata(change),
            )
        )
        pseudo.setdefault(change["path"], "restore mode/owner")
    # Live state the run loaded from files it changed (the firewall), from the restored files.
    for argv in manifest.get("undo", []):
        tx.current = None
        tx.add_action(Action(key=("undo", *argv), description=" ".join(argv), phase=PHASE_LIVE, argv=argv))
    for argv in manifest.get("reload", []):
        tx.current = None
        tx.add_action(Action(key=("reload", *argv), description=" ".join(argv), phase=PHASE_RELOAD, argv=argv))
    tx.current = None
    if not host.check_mode:
        tx.commit()
    records = []
    for path, what in pseudo.items():
        control = {"id": path, "title": f"{what} {path} from run {run_id}", "type": "rollback"}
        problems = tx.errors_for(path) if not host.check_mode else []
        changed = (path in tx.diffs or what == "restore mode/owner") and not problems
        status = "error" if problems else ("pass" if not changed else "fail" if host.check_mode else "fixed")
        records.append(
            results.record(control, status, changed=changed, reason="; ".join(problems), diff=tx.diffs.get(path, []))
        )
    return records
