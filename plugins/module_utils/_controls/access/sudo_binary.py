"""Who may execute the sudo program at all, now and once the run commits, and in which session.

sudoers decides what an account may do through sudo; the file mode of /usr/bin/sudo decides
who can start it. Once it is 4750 root:GROUP, an account outside GROUP gets "Permission denied"
from the kernel before sudo reads a rule. Two things must then hold for an account that must
keep sudo: it is in GROUP in /etc/group (a fresh login gets it), and, for the account the run is
connected as, its running session has GROUP already. A session's groups are fixed at login: an
account added to GROUP in this same run keeps its old groups over Ansible's persistent SSH
connection, and its next become would fail.
"""

from __future__ import annotations

import os
import stat

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import accounts as rows

SUDO = "/usr/bin/sudo"
# Names that run the same program: sudoedit is a link to sudo in Debian's package.
ALIASES = ("/usr/bin/sudoedit",)
MODE = 0o4750
STATOVERRIDE = "/var/lib/dpkg/statoverride"
ACTION = "sudo_group"  # the first word of the key of the action that restricts the program
MAX_ANCESTORS = 32


def planned_group(tx):
    """The group this run restricts sudo to, or None when it does not."""
    return next((a.key[2] for a in tx.actions.values() if a.key[0] == ACTION), None)


def live_group(ctx):
    """The group sudo is restricted to on disk now, or None when others may execute it."""
    try:
        info = os.stat(ctx.path(SUDO))
    except OSError:
        return None
    if info.st_mode & stat.S_IXOTH:
        return None
    groups = {int(r[2]): r[0] for r in rows.parse(_live_text(ctx, "/etc/group"), rows.GROUP_FIELDS) if r[2].isdigit()}
    return groups.get(info.st_gid, str(info.st_gid))


def _live_text(ctx, path):
    try:
        with open(ctx.path(path), encoding="utf-8", errors="surrogateescape") as handle:
            return handle.read()
    except OSError:
        return ""


def restricted_to(ctx, view):
    """The group sudo will be restricted to in `view` (staged: after the commit), or None."""
    if view.name == "staged":
        planned = planned_group(ctx.tx)
        if planned is not None:
            return planned
    return live_group(ctx)


def _status(ctx, pid):
    """A /proc/PID/status as {field: [words]}."""
    fields = {}
    for line in (ctx.read_text(f"/proc/{pid}/status") or "").splitlines():
        name, separator, value = line.partition(":")
        if separator:
            fields[name] = value.split()
    return fields


def session_of(ctx, uid):
    """(pid, gids) of the first ancestor of this process that runs wholly as `uid`: the shell
    the account's SSH session started, before sudo. None when no ancestor runs as it."""
    pid = os.getpid()
    for _step in range(MAX_ANCESTORS):
        fields = _status(ctx, pid)
        if not fields:
            return None
        if fields.get("Uid") and all(word == str(uid) for word in fields["Uid"]):
            gids = {int(g) for g in fields.get("Groups", []) + fields.get("Gid", [])[:1] if g.isdigit()}
            return pid, gids
        parent = (fields.get("PPid") or ["0"])[0]
        if parent in ("0", ""):
            return None
        pid = int(parent)
    return None


def _gid(view, group):
    found = [r[2] for r in rows.parse(view.read_text("/etc/group"), rows.GROUP_FIELDS) if r[0] == group]
    return int(found[0]) if found and found[0].isdigit() else None


def refusal(ctx, view, account, connected):
    """Why `account` could not start sudo in `view`, or ''. `connected`: it is the account the
    run is connected as, whose running session has to hold the group too."""
    group = restricted_to(ctx, view)
    if group is None:
        return ""
    if account.name == "root":
        return ""
    if group not in account.groups:
        return (
            f"{SUDO} runs only for root and group {group}, and {account.name} is not in {group} "
            f"in /etc/group: add {account.name} to {group} (adduser {account.name} {group}) and log in again"
        )
    if not connected:
        return ""  # a fresh login reads /etc/group
    found = session_of(ctx, account.uid)
    gid = _gid(view, group)
    if found is None:
        return (
            f"{SUDO} runs only for root and group {group}, and no process above this run is {account.name}'s "
            f"session, so whether that session has {group} cannot be told: run again over SSH as {account.name}"
        )
    pid, gids = found
    if gid not in gids:
        return (
            f"{SUDO} runs only for root and group {group}, and {account.name}'s running session (process {pid}) "
            f"does not have {group}: the account joined it after logging in. Log in again (a new SSH connection, "
            f"not Ansible's persistent one, which ControlPersist keeps open between runs) and run again"
        )
    return ""
