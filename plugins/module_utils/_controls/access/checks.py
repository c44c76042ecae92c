"""One answer per account and way in: does the view still let it in, and if not, which rule refuses."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access import (
    accounts,
    firewall,
    pam,
    sshd,
    sudo_binary,
    sudoers,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.keepers import (
    CONSOLE,
    SSH,
    SUDO,
)


@dataclass(frozen=True)
class Denial:
    account: str
    path: str  # SSH, sudo or console login
    why: str  # the rule that refuses, in words
    blame: tuple  # ("sshd", option) or ("file", path): where the refusing rule lives


def _account_denial(view, account, path, name):
    if account is None:
        return Denial(name, path, f"{name} does not exist", (("file", "/etc/passwd"),))
    problem = accounts.expiry_problem(account)
    if problem:
        return Denial(name, path, f"{name}: {problem}", (("file", "/etc/shadow"),))
    if name != "root" and view.exists("/etc/nologin"):
        return Denial(
            name, path, "/etc/nologin exists, so PAM refuses every login but root's", (("file", "/etc/nologin"),)
        )
    return None


def ssh(ctx, view, name, point, planned=None, passwords=False):
    """With passwords, a password login counts as a way in too (for accounts people use)."""
    account = accounts.load(view, name, planned)
    denial = _account_denial(view, account, SSH, name)
    if denial:
        return denial
    problem = accounts.shell_problem(ctx, account)
    if problem:
        return Denial(name, SSH, f"{name}: {problem}", (("file", "/etc/passwd"),))
    try:
        options = sshd.effective(ctx, view, name, point.addr, point.port, point.local)
    except sshd.SshdUnavailable:
        options = None  # no sshd or a candidate it refuses: its validator speaks for it at commit
    if options is not None:
        refused = sshd.refusal(options, account, point.addr, point.port)
        if refused:
            option, why = refused
            return Denial(name, SSH, f"sshd refuses {name} {point.describe()}: {why}", (("sshd", option),))
        refused = sshd.key_problem(ctx, options, account)
        by_password = sshd.password_refusal(options, account) if refused and passwords else None
        if refused and (not passwords or by_password):
            option, why = refused
            blame = (("sshd", option),)
            if by_password:
                why = f"with a key: {why}; with a password: {by_password[1]}"
                blame += (("sshd", by_password[0]),)
            return Denial(name, SSH, f"sshd refuses {name} {point.describe()}: {why}", blame)
    refused = pam.access_problem(view, "sshd", account, {"addr": point.addr, "tty": None})
    if refused:
        return Denial(name, SSH, refused[1], (("file", refused[0]), ("file", "/etc/pam.d/sshd")))
    if view.changed(firewall.FILE):
        why = firewall.refusal(view, point.addr, point.port)
        if why:
            return Denial(name, SSH, f"a new SSH connection {point.describe()}: {why}", (("file", firewall.FILE),))
    return None


def hostname(view):
    return (view.read_text("/etc/hostname") or "").strip() or socket.gethostname()


def sudo(ctx, view, name, password_given, planned=None):
    account = accounts.load(view, name, planned)
    denial = _account_denial(view, account, SUDO, name)
    if denial:
        return denial
    access = getattr(ctx, "access", None)
    connected = bool(access and access.over_ssh and name == access.connected)
    why = sudo_binary.refusal(ctx, view, account, connected)
    if why:
        group = sudo_binary.restricted_to(ctx, view)
        return Denial(name, SUDO, f"sudo does not start for {name}: {why}", ((sudo_binary.ACTION, group),))
    refused = sudoers.refusal(view, account, hostname(view), password_given)
    if refused:
        blame, why = refused
        return Denial(name, SUDO, f"sudo refuses {name}: {why}", (blame,))
    if password_given or account.planned:
        refused = pam.faillock_problem(ctx, view, "sudo", name)
        if refused:
            return Denial(name, SUDO, f"sudo refuses {name}: {refused[1]}", (("file", refused[0]),))
    return None


def console(ctx, view, name, planned=None):
    account = accounts.load(view, name, planned)
    denial = _account_denial(view, account, CONSOLE, name)
    if denial:
        return denial
    problem = accounts.shell_problem(ctx, account) or accounts.password_problem(account)
    if problem:
        return Denial(name, CONSOLE, f"{name}: {problem}", (("file", "/etc/passwd"), ("file", "/etc/shadow")))
    refused = pam.access_problem(view, "login", account, {"addr": None, "tty": "tty1"})
    if refused:
        return Denial(name, CONSOLE, refused[1], (("file", refused[0]), ("file", "/etc/pam.d/login")))
    refused = pam.faillock_problem(ctx, view, "login", name)
    if refused:
        return Denial(name, CONSOLE, f"login refuses {name}: {refused[1]}", (("file", refused[0]),))
    return None
