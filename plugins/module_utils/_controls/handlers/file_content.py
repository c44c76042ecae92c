"""file_content: a whole file the engine owns (banners, chrony sources, rsyslog forwarding...)."""

from __future__ import annotations

import os
import stat

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import fileops
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers.service import unit_state
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import (
    PHASE_RELOAD,
    Action,
    restart_after,
)

PARAMS = {
    "path": param("path", required=True),
    "content": param("str", required=True),
    "mode": param("mode", default=0o644),
    "owner": param("str", default="root"),
    "group": param("str", default="root"),
    "service": param("str"),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`path`, `content`, `mode`, `owner`, `group`, `service` (restart on change)"
DOC_MANAGES = "a whole managed file (banners, chrony sources, rsyslog forwarding …)"


UNIT_DIR = "/etc/systemd/system/"


def _current_meta(ctx, path):
    staged = ctx.tx.files.get(path)
    if staged is not None:
        return staged.mode, staged.uid, staged.gid
    info = os.stat(ctx.path(path))
    return stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid


def check(params, ctx):
    path = params["path"]
    data = ctx.tx.read_bytes(path)
    wanted = params["content"].encode("utf-8")
    expected_meta = {"mode": f"{params['mode']:04o}", "owner": params["owner"], "group": params["group"]}
    if data is None:
        found = {"exists": False}
        problems = [f"{path} does not exist"]
    else:
        mode, uid, gid = _current_meta(ctx, path)
        owner, group = ctx.names_of(uid, gid)
        found = {
            "exists": True,
            "mode": f"{mode:04o}",
            "owner": owner,
            "group": group,
            "sha256": fileops.sha256_of(data),
        }
        problems = []
        if data != wanted:
            problems.append(f"{path} content differs")
        if (f"{mode:04o}", owner, group) != (expected_meta["mode"], params["owner"], params["group"]):
            problems.append(f"{path} is {found['mode']} {owner}:{group}")
    expected = dict(expected_meta, sha256=fileops.sha256_of(wanted))
    if not fileops.is_secret(path):
        # Content is evidence for ordinary files only; secret files show metadata alone.
        expected["content"] = params["content"]
    return Finding(compliant=not problems, found=found, expected=expected, reason="; ".join(problems))


def _service_to_restart(params, ctx):
    """The service the file belongs to, if this host has that unit. Packages are installed
    before anything is staged, so a unit missing now is missing from this release: a drop-in
    for it (audit-rules.service before Debian 13) lies inert, with nothing to reset or restart.
    A unit file the control writes itself is missing only until this commit."""
    service = params["service"]
    if not service or params["path"] == UNIT_DIR + service:
        return service
    return None if unit_state(ctx, service)[0] == "not-found" else service


def fix(params, ctx, finding):
    path = params["path"]
    ctx.tx.stage_text(path, params["content"], mode=params["mode"], owner=params["owner"], group=params["group"])
    service = _service_to_restart(params, ctx)
    if path.startswith(UNIT_DIR):
        # systemd reads a unit or drop-in it has loaded only again after a daemon-reload.
        ctx.tx.add_action(
            Action(
                key=("daemon-reload",),
                description="systemctl daemon-reload",
                phase=PHASE_RELOAD - 1,
                argv=["systemctl", "daemon-reload"],
                requires=[path],
            )
        )
        if service:
            # A failure under the old definition says nothing about the new one; the restart
            # that follows records a new failure if there is one.
            ctx.tx.add_action(
                Action(
                    key=("reset-failed", service),
                    description=f"systemctl reset-failed {service}",
                    phase=PHASE_RELOAD - 1,
                    argv=["systemctl", "reset-failed", service],
                    requires=[path],
                )
            )
    if service:
        restart_after(ctx.tx, service, path)
