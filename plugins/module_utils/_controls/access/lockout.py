"""Lockout invariants on the staged state, checked before anything is committed.

After every control has staged its fix, each account that must keep access is checked
on the staged files. A control whose change would shut one of them out is held back:
the engine stages everything again without it, and it ends `fail` with a reason that
names the account and the rule. Other people's accounts that a control newly shuts out
are named as warnings on that control, which still applies: that is its purpose.
"""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access import (
    accounts,
    checks,
    pam,
    sudo_binary,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.keepers import SSH, SUDO
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.view import LiveView, StagedView

# Files whose change can decide whether someone gets in; nothing else needs the check.
ACCESS_FILES = (
    "/etc/passwd",
    "/etc/shadow",
    "/etc/group",
    "/etc/gshadow",
    "/etc/nologin",
    "/etc/nftables.conf",
    "/etc/security/access.conf",
    "/etc/security/faillock.conf",
)
ACCESS_PREFIXES = ("/etc/ssh/", "/etc/sudoers", "/etc/pam.d/", "/usr/share/pam-configs/")
MAX_ROUNDS = 5


def _relevant(tx):
    if sudo_binary.planned_group(tx) is not None:
        return True
    return any(
        staged.changes_anything() and (path in ACCESS_FILES or path.startswith(ACCESS_PREFIXES))
        for path, staged in tx.files.items()
    )


def _check(ctx, access, view, keeper, path, planned):
    """The Denial of one keeper's way in on a view, or None."""
    if path == SSH:
        return next((d for d in (checks.ssh(ctx, view, keeper.name, p, planned) for p in access.points()) if d), None)
    if path == SUDO:
        return checks.sudo(ctx, view, keeper.name, _password_given(access, view, keeper, planned), planned)
    return checks.console(ctx, view, keeper.name, planned)


def _denials(ctx, access):
    """(keeper, Denial, had it before) for every way in a keeper lacks once the run commits."""
    staged, live = StagedView(ctx), LiveView(ctx)
    found = []
    for keeper in access.keepers():
        for path in keeper.paths:
            denial = _check(ctx, access, staged, keeper, path, ctx.tx.planned_accounts)
            if denial:
                found.append((keeper, denial, _check(ctx, access, live, keeper, path, None) is None))
    return found


def _password_given(access, view, keeper, planned):
    """The run gives its become password; a person at the console knows their own."""
    if keeper.name == access.connected and access.over_ssh:
        return access.become_password
    account = accounts.load(view, keeper.name, planned)
    return account is not None and not accounts.password_problem(account)


def culprits(engine, denial, fallback=False):
    """The staged controls whose change holds the refusing rule: by option where a shared file
    (the sshd and sudoers drop-ins) holds the settings of many controls, else by file. With
    `fallback`, every control that changed a file of that kind, for when none can be named."""
    tx = engine.host.tx
    ids = []
    for kind, what in denial.blame:
        if kind in ("sshd", "sudo_default"):
            ctype, prefix = ("sshd_option", "/etc/ssh/") if kind == "sshd" else ("sudo_default", "/etc/sudoers")
            ids += [
                c["id"]
                for c in engine.applicable
                if c["type"] == ctype and c["params"]["option"].lower().lstrip("!") == what and tx.touched(c["id"])
            ]
            if fallback:
                ids += [
                    i
                    for p, f in tx.files.items()
                    if p.startswith(prefix) and f.changes_anything()
                    for i in f.control_ids
                ]
        elif kind == sudo_binary.ACTION:
            ids += [c["id"] for c in engine.applicable if c["type"] == "sudo_group" and tx.touched(c["id"])]
        elif kind == "file":
            staged = tx.files.get(what)
            if staged is not None and staged.changes_anything():
                ids += staged.control_ids
    return [i for i in dict.fromkeys(ids) if i]


def guard(engine):
    """Hold back what would shut a keeper out; note the rest. Returns the notes for the evidence."""
    ctx, access = engine.host, engine.host.access
    if access is None or not _relevant(ctx.tx):
        return []
    for _ in range(MAX_ROUNDS):
        denials = _denials(ctx, access)
        held = {}
        for keeper, denial, had_it in denials:
            if not had_it:
                continue  # not this run's doing: a note, below
            named = culprits(engine, denial) or culprits(engine, denial, fallback=True)
            for control_id in named:
                if control_id not in engine.held_back:
                    held.setdefault(control_id, []).append(
                        f"{keeper.name} ({keeper.why}) out of {denial.path}: {denial.why}"
                    )
        if not held:
            break
        engine.hold_back(held)
    else:
        denials = _denials(ctx, access)
    notes = []
    for keeper, denial, had_it in denials:
        if had_it:
            notes.append(
                f"{keeper.name} ({keeper.why}) would lose {denial.path}, and holding back what this run could "
                f"name did not change that: {denial.why}"
            )
        else:
            notes.append(f"{keeper.name} ({keeper.why}) had no {denial.path} before this run either: {denial.why}")
    _warn_for_others(engine)
    _warn_sudo_closed_on_others(engine)
    _warn_faillock_skips(engine)
    return notes


def _warn_faillock_skips(engine):
    """A keeper at faillock's limit keeps access only because faillock skips it: say so."""
    ctx, access = engine.host, engine.host.access
    view = StagedView(ctx)
    faillock = [
        c["id"] for c in engine.applicable if c["type"] == "pam_profile" and "preauth" in c["params"]["content"]
    ]
    for keeper in access.keepers():
        reached = pam.at_limit(ctx, view, keeper.name) if faillock else ""
        for control_id in faillock if reached else []:
            engine.warnings.setdefault(control_id, []).append(
                f"{keeper.name} has {reached}; faillock skips it, as {keeper.why}, which must keep access"
            )


def _warn_for_others(engine):
    """Warnings on the controls that newly shut out accounts nobody asked us to keep."""
    ctx, access = engine.host, engine.host.access
    points = access.points()[:1]
    if not points:
        return
    kept = {k.name for k in access.keepers()}
    staged, live = StagedView(ctx), LiveView(ctx)
    for name in accounts.human_accounts(staged, ctx):
        if name in kept:
            continue
        after = checks.ssh(ctx, staged, name, points[0], passwords=True)
        ids = culprits(engine, after) if after else []
        if not ids or checks.ssh(ctx, live, name, points[0], passwords=True):
            continue
        for control_id in ids:
            engine.warnings.setdefault(control_id, []).append(
                f"{name} no longer logs in over SSH after this control: {after.why}"
            )


def _warn_sudo_closed_on_others(engine):
    """Warnings on the sudo_group control for the accounts nobody asked us to keep that had sudo
    (with their password) and can no longer start it: they are outside the group."""
    ctx, access = engine.host, engine.host.access
    ids = [c["id"] for c in engine.applicable if c["type"] == "sudo_group" and ctx.tx.touched(c["id"])]
    if not ids:
        return
    kept = {k.name for k in access.keepers()}
    staged, live = StagedView(ctx), LiveView(ctx)
    for name in accounts.human_accounts(staged, ctx):
        account = accounts.load(staged, name)
        if name in kept or account is None or checks.sudo(ctx, live, name, password_given=True):
            continue
        why = sudo_binary.refusal(ctx, staged, account, connected=False)
        for control_id in ids if why else []:
            engine.warnings.setdefault(control_id, []).append(f"{name} can no longer start sudo: {why}")
