"""sudo_group: /usr/bin/sudo is 4750 root:GROUP, registered with dpkg-statoverride.

The mode is set through `dpkg-statoverride --update --add`, so that dpkg gives every later
version of the sudo package the same owner, group and mode when it unpacks it; a plain chmod
would be undone by the next sudo upgrade. The run backs up dpkg's statoverride file and the
program's old mode first, so a rollback (or commit confirmed's revert) restores both.

Whether the accounts that must keep sudo are in GROUP, in /etc/group and in the running
session, is the lockout guard's to judge (access/sudo_binary.py): when one is not, this control
is held back and fails naming the account, and nothing of it is committed.
"""

from __future__ import annotations

import os
import re
import stat

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import accounts
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.sudo_binary import (
    ACTION,
    ALIASES,
    MODE,
    STATOVERRIDE,
    SUDO,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import (
    PHASE_METADATA,
    Action,
)

PARAMS = {
    "group": param("str", required=True),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`group` (a plain group name)"
DOC_MANAGES = (
    "`/usr/bin/sudo` 4750 root:`group` through `dpkg-statoverride --update --add`, so that sudo upgrades "
    "keep it (statoverride file and old mode backed up for rollback); `/usr/bin/sudoedit` must be a link "
    "to it (a separate program fails, for a person); held back while an account that must keep sudo is "
    "not in `group` (see below)"
)


def validate(control_id, params):
    if not re.fullmatch(r"[a-z_][a-z0-9_\-]{0,31}", params["group"]):
        # It ends up as an argument of dpkg-statoverride and in dpkg's database, one word per field.
        fail(control_id, "params.group", f"not a valid group name: {params['group']!r}")


def _override(ctx):
    """dpkg's registered (owner, group, mode) for sudo, or None."""
    for line in (ctx.read_text(STATOVERRIDE) or "").splitlines():
        words = line.split()
        if len(words) == 4 and words[3] == SUDO:
            return words[0], words[1], words[2]
    return None


def _group_exists(ctx, group):
    return any(r[0] == group for r in accounts.parse(ctx.read_text("/etc/group"), accounts.GROUP_FIELDS))


def _other_paths(ctx, info):
    """Names of sudo that are separate programs (not links to it): another way in."""
    separate = []
    for alias in ALIASES:
        try:
            other = os.stat(ctx.path(alias))
        except OSError:
            continue
        if (other.st_dev, other.st_ino) != (info.st_dev, info.st_ino) and other.st_mode & stat.S_IXOTH:
            separate.append(alias)
    return separate


def check(params, ctx):
    group = params["group"]
    expected = {"path": SUDO, "mode": f"{MODE:04o}", "owner": "root", "group": group, "statoverride": True}
    try:
        info = os.stat(ctx.path(SUDO))
    except FileNotFoundError:
        return Finding(compliant=True, found={"path": SUDO, "exists": False}, expected=expected)
    owner, current_group = ctx.names_of(info.st_uid, info.st_gid)
    override = _override(ctx)
    found = {
        "path": SUDO,
        "mode": f"{stat.S_IMODE(info.st_mode):04o}",
        "owner": owner,
        "group": current_group,
        "statoverride": " ".join(override) if override else None,
    }
    problems = []
    if (stat.S_IMODE(info.st_mode), owner, current_group) != (MODE, "root", group):
        problems.append(f"{SUDO} is {found['mode']} {owner}:{current_group}")
    if override != ("root", group, f"{MODE:o}"):
        problems.append(
            "dpkg-statoverride does not keep it so"
            if override is None
            else f"dpkg-statoverride says {found['statoverride']}"
        )
    separate = _other_paths(ctx, info)
    if separate:
        found["separate"] = separate
        return Finding(
            compliant=False,
            found=found,
            expected=expected,
            fixable=False,
            reason=f"{', '.join(separate)} is a program of its own, not a link to {SUDO}: it would still run for "
            "everyone; reinstall the sudo package",
        )
    if not _group_exists(ctx, group):
        return Finding(
            compliant=False,
            found=found,
            expected=expected,
            fixable=False,
            reason=f"group {group} does not exist: create it and add the administrators, then run again",
        )
    return Finding(compliant=not problems, found=found, expected=expected, reason="; ".join(problems))


def _restrict(group):
    def apply(ctx):
        real = ctx.path(SUDO)
        try:
            info = os.stat(real)
        except OSError as exc:
            return CommandResult(1, "", f"{SUDO}: {exc}")
        ctx.tx.record_metadata_change(SUDO, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
        root = [] if ctx.root in ("", "/") else ["--root", ctx.root]
        if _override(ctx) is not None:
            removed = ctx.run(["dpkg-statoverride", *root, "--remove", SUDO])
            if not removed.ok:
                return removed
        return ctx.run(["dpkg-statoverride", *root, "--update", "--add", "root", group, f"{MODE:o}", SUDO])

    return apply


def fix(params, ctx, finding):
    ctx.tx.add_action(
        Action(
            key=(ACTION, SUDO, params["group"]),
            description=f"dpkg-statoverride --update --add root {params['group']} {MODE:o} {SUDO}",
            phase=PHASE_METADATA,
            call=_restrict(params["group"]),
            touches=[STATOVERRIDE],
        )
    )
