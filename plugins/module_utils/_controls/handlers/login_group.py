"""login_group: the group SSH admits (AllowGroups) exists and holds the accounts that must keep SSH.

Its members are not catalog data: they are the operator account and the account the run
is connected as (the engine's `access`). The group and the memberships are staged in
/etc/group and /etc/gshadow, so that in the same transaction the lockout checks see the
operator inside the group AllowGroups names, and a missing group never shuts them out.
"""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import accounts, textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding

PARAMS = {
    "name": param("str", required=True),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`name`"
DOC_MANAGES = "the group SSH admits exists and holds the operator and connected accounts (`/etc/group`, `/etc/gshadow`)"


def validate(control_id, params):
    if not re.fullmatch(r"[a-z_][a-z0-9_\-]*", params["name"]):
        fail(control_id, "params.name", f"not a valid group name: {params['name']!r}")


GROUP, GSHADOW = "/etc/group", "/etc/gshadow"


def _members_wanted(ctx):
    """The accounts that must keep SSH and exist (staged, or created by this run)."""
    names = ctx.access.login_accounts() if ctx.access else []
    users = {row[0]: row for row in accounts.parse(ctx.read_text("/etc/passwd"), accounts.PASSWD_FIELDS)}
    return [n for n in names if n in users or n in ctx.tx.planned_accounts]


def _group(ctx, name):
    return next((row for row in accounts.parse(ctx.read_text(GROUP), accounts.GROUP_FIELDS) if row[0] == name), None)


def _in_group(ctx, row, user):
    passwd = {r[0]: r for r in accounts.parse(ctx.read_text("/etc/passwd"), accounts.PASSWD_FIELDS)}
    primary = passwd.get(user, [""] * 4)[3]
    return user in row[3].split(",") or primary == row[2]


def check(params, ctx):
    name = params["name"]
    wanted = _members_wanted(ctx)
    row = _group(ctx, name)
    missing = [u for u in wanted if row is None or not _in_group(ctx, row, u)]
    found = {"exists": row is not None, "members": sorted(m for m in (row[3].split(",") if row else []) if m)}
    problems = [] if row is not None else [f"group {name} does not exist"]
    if missing:
        problems.append(f"{', '.join(missing)} not in {name}")
    return Finding(
        compliant=not problems,
        found=found,
        expected={"exists": True, "includes": wanted},
        reason="; ".join(problems),
    )


def _free_system_gid(ctx):
    """The highest free gid in the system range, as groupadd --system picks it."""
    defs = ctx.read_text("/etc/login.defs")
    low = int(accounts.login_defs_value(defs, "SYS_GID_MIN", "100"))
    high = int(accounts.login_defs_value(defs, "SYS_GID_MAX", "999"))
    used = {int(r[2]) for r in accounts.parse(ctx.read_text(GROUP), accounts.GROUP_FIELDS) if r[2].isdigit()}
    for gid in range(high, low - 1, -1):
        if gid not in used:
            return gid
    raise ValueError(f"no free system gid between {low} and {high} for the operator group")


def _with_members(text, name, members, new_row):
    """The file with `members` added to group `name`'s last field, or `new_row` appended."""
    lines, placed = [], False
    for line in textedit.ensure_text(text).splitlines():
        row = line.split(":")
        if line and not line.startswith("#") and row[0] == name:
            current = [m for m in row[-1].split(",") if m]
            row[-1] = ",".join(current + [m for m in members if m not in current])
            line, placed = ":".join(row), True
        lines.append(line)
    if not placed:
        lines.append(new_row)
    return "\n".join(lines) + "\n"


def fix(params, ctx, finding):
    name = params["name"]
    row = _group(ctx, name)
    members = [u for u in _members_wanted(ctx) if row is None or not _in_group(ctx, row, u)]
    gid = row[2] if row else str(_free_system_gid(ctx))
    ctx.tx.stage_text(GROUP, _with_members(ctx.read_text(GROUP), name, members, f"{name}:x:{gid}:{','.join(members)}"))
    if ctx.tx.exists(GSHADOW):
        ctx.tx.stage_text(
            GSHADOW, _with_members(ctx.read_text(GSHADOW), name, members, f"{name}:!::{','.join(members)}")
        )
