"""account_policy: rules over /etc/passwd and /etc/shadow. Evidence names accounts, never hashes."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import accounts, fileops
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.accounts import (
    Account,
    expiry_problem,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding

ACCOUNT_RULES = (
    "no_empty_password",
    "uid0_only_root",
    "system_shell_nologin",
    "inactive_lock",
    "password_max_days",
)
PARAMS = {
    "rule": param("str", required=True, choices=ACCOUNT_RULES),
    "value": param("scalar"),
    "exempt": param("list", default=[], elements="str"),
    # Ageing and inactivity rules: also apply to accounts the new limit would lock out at once.
    "expire_at_once": param("bool", default=False),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = (
    "`rule` (`no_empty_password`, `uid0_only_root`, `system_shell_nologin`, `inactive_lock`, "
    "`password_max_days`), `value`, `exempt`, `expire_at_once` (default false)"
)
DOC_MANAGES = "`/etc/passwd`, `/etc/shadow`: metadata only in evidence"


def validate(control_id, params):
    numeric = params["rule"] in ("inactive_lock", "password_max_days")
    if numeric and not str(params.get("value") or "").isdigit():
        fail(control_id, "params.value", f"rule {params['rule']} needs a number of days")


PASSWD, SHADOW = "/etc/passwd", "/etc/shadow"
NOLOGIN_SHELLS = {"/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"}
# System accounts whose shell is part of their job.
SHELL_EXCEPTIONS = {"root", "sync", "shutdown", "halt"}
NOBODY_UID = 65534


def _exempt(params, ctx):
    return set(params["exempt"]) | set(ctx.exempt_accounts)


def _human_with_password(ctx, params):
    """Accounts that log in with a password: the ones ageing and inactivity apply to."""
    uid_min = ctx.uid_min()
    uids = {row[0]: row[2] for row in accounts.parse(ctx.read_text(PASSWD), accounts.PASSWD_FIELDS)}
    exempt = _exempt(params, ctx)
    for row in accounts.parse(ctx.read_text(SHADOW), accounts.SHADOW_FIELDS):
        uid = uids.get(row[0], "")
        if not uid.isdigit() or int(uid) < uid_min or int(uid) == NOBODY_UID or row[0] in exempt:
            continue
        if row[1] and not row[1].startswith(("!", "*")):
            yield row


def _offenders(params, ctx):
    """(table, rows that break the rule, how to fix one row or None when a person must)."""
    rule, value = params["rule"], params["value"]
    if rule == "no_empty_password":
        rows = [r for r in accounts.parse(ctx.read_text(SHADOW), accounts.SHADOW_FIELDS) if r[1] == ""]
        return SHADOW, rows, lambda r: r.__setitem__(1, "!")
    if rule == "uid0_only_root":
        rows = [
            r for r in accounts.parse(ctx.read_text(PASSWD), accounts.PASSWD_FIELDS) if r[2] == "0" and r[0] != "root"
        ]
        return PASSWD, rows, None
    if rule == "system_shell_nologin":
        shell = value or "/usr/sbin/nologin"
        skip = SHELL_EXCEPTIONS | _exempt(params, ctx)
        rows = [
            r
            for r in accounts.parse(ctx.read_text(PASSWD), accounts.PASSWD_FIELDS)
            if r[2].isdigit() and int(r[2]) < ctx.uid_min() and r[0] not in skip and r[6] not in NOLOGIN_SHELLS
        ]
        return PASSWD, rows, lambda r: r.__setitem__(6, shell)
    field = 6 if rule == "inactive_lock" else 4  # shadow: 4 = max days, 6 = inactive days
    limit = int(value)
    rows = [r for r in _human_with_password(ctx, params) if not r[field].isdigit() or int(r[field]) > limit]
    return SHADOW, rows, lambda r: r.__setitem__(field, str(limit))


def _expired_by(row, field, limit):
    """What the new limit would do to the account at once, or '' if it still logs in today."""
    before = expiry_problem(Account(row[0], -1, -1, "", "", shadow=list(row)))
    after_row = list(row)
    after_row[field] = str(limit)
    after = expiry_problem(Account(row[0], -1, -1, "", "", shadow=after_row))
    return after if after and not before else ""


def _held_back(params, rows):
    """Rows ageing would expire at once, with why: left alone unless params say otherwise."""
    if params["rule"] not in ("inactive_lock", "password_max_days") or params["expire_at_once"]:
        return {}
    field = 6 if params["rule"] == "inactive_lock" else 4
    held = {}
    for row in rows:
        why = _expired_by(row, field, int(params["value"]))
        if why:
            held[row[0]] = why
    return held


def _expected(params):
    return {
        "no_empty_password": "no account without a password",
        "uid0_only_root": "only root has UID 0",
        "system_shell_nologin": f"system accounts use {params['value'] or '/usr/sbin/nologin'}",
        "inactive_lock": f"password accounts locked after {params['value']} days of inactivity",
        "password_max_days": f"passwords expire after at most {params['value']} days",
    }[params["rule"]]


def check(params, ctx):
    table, rows, repair = _offenders(params, ctx)
    names = [row[0] for row in rows]
    held = _held_back(params, rows)
    found = {"accounts": names, "file": fileops.metadata(ctx.path(table), ctx.names_of)}
    if held:
        found["expire_at_once"] = held
    finding = Finding(compliant=not names, found=found, expected=_expected(params))
    if names:
        finding.reason = f"{params['rule']}: {', '.join(names)}"
        if repair is None:
            finding.fixable = False
            finding.reason += " (needs a person: the engine does not renumber or delete accounts)"
    finding.held_back = [
        f"{name} is left as it is, because the new limit would lock it out at once: {why} "
        "(linux_baseline_expire_stale_passwords lets the run apply it anyway)"
        for name, why in held.items()
    ]
    finding.fixable = finding.fixable and len(held) < len(names)
    return finding


def fix(params, ctx, finding):
    table, rows, repair = _offenders(params, ctx)
    held = _held_back(params, rows)
    offenders = {row[0] for row in rows if row[0] not in held}
    fields = accounts.PASSWD_FIELDS if table == PASSWD else accounts.SHADOW_FIELDS
    lines = []
    # Rewrite only the offending rows; comments and every other line stay byte for byte.
    for line in (ctx.read_text(table) or "").splitlines():
        row = line.split(":")
        if line and not line.startswith("#") and row[0] in offenders:
            row += [""] * (fields - len(row))
            repair(row)
            line = ":".join(row)
        lines.append(line)
    ctx.tx.stage_text(table, "\n".join(lines) + "\n")
