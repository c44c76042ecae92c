"""local_account: the break-glass account exists with its shell, groups and password hash."""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import accounts
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import (
    ACCOUNT_FILES,
    PHASE_LIVE,
    Action,
)

PARAMS = {
    "name": param("str", required=True),
    "password_hash": param("str", secret=True),
    "groups": param("list", default=[], elements="str"),
    "shell": param("path", default="/bin/bash"),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`name`, `password_hash` (no_log), `groups`, `shell`"
DOC_MANAGES = "the break-glass account"


def validate(control_id, params):
    if not re.fullmatch(r"[a-z_][a-z0-9_\-]*", params["name"]):
        fail(control_id, "params.name", f"not a valid account name: {params['name']!r}")
    pw_hash = params.get("password_hash")
    if pw_hash is not None and not pw_hash.startswith(("$", "!", "*")):
        # A clear-text password here would end up in /etc/shadow as is.
        fail(control_id, "params.password_hash", "must be a crypt(3) hash, not a clear-text password")


def _current(ctx, name):
    passwd = {r[0]: r for r in accounts.parse(ctx.read_text("/etc/passwd"), accounts.PASSWD_FIELDS)}
    if name not in passwd:
        return None
    row = passwd[name]
    groups = set()
    for group in accounts.parse(ctx.read_text("/etc/group"), accounts.GROUP_FIELDS):
        if name in group[3].split(",") or group[2] == row[3]:
            groups.add(group[0])
    shadow = {r[0]: r[1] for r in accounts.parse(ctx.read_text("/etc/shadow"), accounts.SHADOW_FIELDS)}
    return {"shell": row[6], "groups": groups, "hash": shadow.get(name)}


def check(params, ctx):
    current = _current(ctx, params["name"])
    expected = {"exists": True, "shell": params["shell"], "groups": sorted(params["groups"])}
    if params["password_hash"] is not None:
        expected["password"] = "matches the configured hash"
    if current is None:
        return Finding(
            compliant=False, found={"exists": False}, expected=expected, reason=f"{params['name']} does not exist"
        )
    missing_groups = sorted(set(params["groups"]) - current["groups"])
    # Compared as strings: the hash is precomputed on the controller; nothing is hashed here.
    password_ok = params["password_hash"] is None or current["hash"] == params["password_hash"]
    found = {
        "exists": True,
        "shell": current["shell"],
        "groups": sorted(current["groups"]),
        "password": "matches the configured hash" if password_ok else "differs from the configured hash",
    }
    problems = []
    if current["shell"] != params["shell"]:
        problems.append(f"shell is {current['shell']}")
    if missing_groups:
        problems.append(f"not in {', '.join(missing_groups)}")
    if not password_ok:
        problems.append("password hash differs")
    return Finding(compliant=not problems, found=found, expected=expected, reason="; ".join(problems))


def _prefix(ctx):
    return [] if ctx.root in ("", "/") else ["--prefix", ctx.root]


def fix(params, ctx, finding):
    name = params["name"]
    groups = ["--groups", ",".join(params["groups"])] if params["groups"] else []
    # useradd and friends rewrite the account files themselves: each gets its dated copy first.
    touches = list(ACCOUNT_FILES)
    # The lockout checks see the account as these commands will leave it.
    ctx.tx.planned_accounts[name] = {
        "shell": params["shell"],
        "groups": list(params["groups"]),
        "password": params["password_hash"],
    }
    if not finding.found["exists"]:
        argv = ["useradd", *_prefix(ctx), "--create-home", "--shell", params["shell"], *groups, name]
        ctx.tx.add_action(
            Action(key=("useradd", name), description=f"useradd {name}", phase=PHASE_LIVE, argv=argv, touches=touches)
        )
    elif finding.found["shell"] != params["shell"] or set(params["groups"]) - set(finding.found["groups"]):
        argv = ["usermod", *_prefix(ctx), "--shell", params["shell"], *(["--append", *groups] if groups else []), name]
        ctx.tx.add_action(
            Action(key=("usermod", name), description=f"usermod {name}", phase=PHASE_LIVE, argv=argv, touches=touches)
        )
    if params["password_hash"] is not None and finding.found.get("password") != "matches the configured hash":
        # The hash goes through stdin, never argv, so it does not show up in the process list.
        ctx.tx.add_action(
            Action(
                key=("chpasswd", name),
                description=f"set the password hash of {name}",
                phase=PHASE_LIVE + 1,
                argv=["chpasswd", *_prefix(ctx), "--encrypted"],
                stdin=f"{name}:{params['password_hash']}\n",
                touches=touches,
            )
        )
