"""file_permission: existing files may be at most as permissive as `mode`, with the given owner."""

from __future__ import annotations

import glob
import os
import stat

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import (
    PHASE_METADATA,
    Action,
)

PARAMS = {
    "path": param("path", required=True),
    "mode": param("mode", required=True),
    "owner": param("str"),
    "group": param("str"),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`path` (glob), `mode` (most permissive allowed), `owner`, `group`"
DOC_MANAGES = "mode/owner of existing files"


def _matches(ctx, pattern):
    """Host paths of the existing regular files and directories the glob matches."""
    real_pattern = ctx.path(pattern)
    paths = []
    for real in sorted(glob.glob(real_pattern)):
        if os.path.islink(real):
            continue  # chmod would change the link target, which the glob did not name
        paths.append(real if ctx.root in ("", "/") else "/" + os.path.relpath(real, ctx.root))
    return paths


def _wanted(ctx, params, info):
    mode = stat.S_IMODE(info.st_mode) & params["mode"]  # only ever remove permission bits
    uid = ctx.uid_of(params["owner"]) if params["owner"] else info.st_uid
    gid = ctx.gid_of(params["group"]) if params["group"] else info.st_gid
    return mode, uid, gid


def check(params, ctx):
    paths = _matches(ctx, params["path"])
    expected = {"mode_at_most": f"{params['mode']:04o}", "owner": params["owner"], "group": params["group"]}
    if not paths:
        return Finding(compliant=True, found={"files": []}, expected=expected, reason="")
    found, wrong = [], []
    for path in paths:
        info = os.stat(ctx.path(path))
        owner, group = ctx.names_of(info.st_uid, info.st_gid)
        found.append({"path": path, "mode": f"{stat.S_IMODE(info.st_mode):04o}", "owner": owner, "group": group})
        if (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) != _wanted(ctx, params, info):
            wrong.append(path)
    return Finding(
        compliant=not wrong,
        found={"files": found, "wrong": wrong},
        expected=expected,
        reason=f"too permissive or wrong owner: {', '.join(wrong)}" if wrong else "",
    )


def _change(path, params):
    def apply(ctx):
        real = ctx.path(path)
        try:
            info = os.stat(real)
            mode, uid, gid = _wanted(ctx, params, info)
            ctx.tx.record_metadata_change(path, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
            os.chown(real, uid, gid)
            os.chmod(real, mode)  # after chown: chown clears setuid/setgid bits
        except (OSError, LookupError) as exc:
            return CommandResult(1, "", f"{path}: {exc}")
        return CommandResult(0, "", "")

    return apply


def fix(params, ctx, finding):
    for path in finding.found["wrong"]:
        ctx.tx.add_action(
            Action(
                key=("metadata", path),
                description=f"set mode/owner of {path}",
                phase=PHASE_METADATA,
                call=_change(path, params),
            )
        )
