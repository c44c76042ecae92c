"""An account as PAM, sshd and sudo will see it: passwd, shadow and group rows of one view."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import accounts as rows

# Shells that refuse a session, whatever sshd or login allowed.
NOLOGIN_SHELLS = {"/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"}


@dataclass
class Account:
    name: str
    uid: int
    gid: int
    home: str
    shell: str
    groups: set = field(default_factory=set)  # names, the primary group included
    password: str | None = None  # the shadow hash field; None without a shadow row
    shadow: list = field(default_factory=list)  # all 9 shadow fields
    planned: bool = False  # not there yet: an action of this run creates it


def today():
    """Days since the epoch, as shadow counts them."""
    return int(time.time() // 86400)


def load(view, name, planned=None):
    """The account `name` in `view`, or the one this run plans to create, or None."""
    passwd = {r[0]: r for r in rows.parse(view.read_text("/etc/passwd"), rows.PASSWD_FIELDS)}
    group_rows = rows.parse(view.read_text("/etc/group"), rows.GROUP_FIELDS)
    row = passwd.get(name)
    if row is None:
        plan = (planned or {}).get(name)
        if plan is None:
            return None
        return Account(
            name, -1, -1, f"/home/{name}", plan["shell"], {name, *plan["groups"]}, plan["password"], planned=True
        )
    uid = int(row[2]) if row[2].isdigit() else -1
    gid = int(row[3]) if row[3].isdigit() else -1
    groups = {g[0] for g in group_rows if name in g[3].split(",") or (g[2].isdigit() and int(g[2]) == gid)}
    shadow = {r[0]: r for r in rows.parse(view.read_text("/etc/shadow"), rows.SHADOW_FIELDS)}.get(name)
    account = Account(name, uid, gid, row[5], row[6], groups, shadow[1] if shadow else None, list(shadow or []))
    plan = (planned or {}).get(name)
    if plan:
        account.shell = plan["shell"]
        account.groups |= set(plan["groups"])
        account.password = plan["password"] or account.password
    return account


def human_accounts(view, ctx):
    """Names of the accounts people log in with: uid from UID_MIN, not nobody."""
    uid_min = ctx.uid_min()
    names = []
    for row in rows.parse(view.read_text("/etc/passwd"), rows.PASSWD_FIELDS):
        if row[2].isdigit() and uid_min <= int(row[2]) < 65534:
            names.append(row[0])
    return names


def shell_problem(ctx, account):
    """Why the account's shell gives no session, or ''."""
    if account.shell in NOLOGIN_SHELLS or not account.shell:
        return f"its shell is {account.shell or 'empty'}"
    if not account.planned and not os.access(ctx.path(account.shell), os.X_OK):
        return f"its shell {account.shell} is not an executable file"
    return ""


def _number(text):
    return int(text) if text.lstrip("-").isdigit() else None


def expiry_problem(account, day=None):
    """What PAM's account check (pam_unix) refuses, in pam_unix's own terms, or ''.

    An expired password counts: a login without a terminal (Ansible) cannot change it.
    """
    if account.planned or not account.shadow:
        return ""
    day = today() if day is None else day
    lastchg, maximum, inactive, expire = (_number(account.shadow[i]) for i in (2, 4, 6, 7))
    if expire is not None and expire >= 0 and day >= expire:
        return f"the account expired (shadow expiry day {expire})"
    if lastchg == 0:
        return "its password must be changed at the next login (shadow last change 0)"
    if lastchg is None or maximum is None or maximum < 0:
        return ""
    if inactive is not None and inactive >= 0 and day - lastchg > maximum + inactive:
        return (
            f"its password expired {day - lastchg - maximum} days ago and the account is locked "
            f"after {inactive} days of inactivity (shadow max {maximum}, inactive {inactive})"
        )
    if day - lastchg > maximum:
        return f"its password expired {day - lastchg - maximum} days ago (shadow max {maximum}) and must be changed"
    return ""


def password_problem(account):
    """Why the account cannot log in with a password, or ''."""
    if not account.password or account.password.startswith(("!", "*")):
        return "it has no usable password"
    return ""
