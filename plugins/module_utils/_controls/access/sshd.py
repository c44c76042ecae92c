"""sshd's effective configuration for one login, on the current or the staged files.

`sshd -T -C user=...,addr=...,lport=...` answers with the configuration sshd would apply to
that connection, Match blocks included. For the staged view the candidate files are
written to a temporary directory first, with the Include of sshd_config.d pointed there.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import stat
import tempfile

MAIN = "/etc/ssh/sshd_config"
DROPIN_DIR = "/etc/ssh/sshd_config.d"
# Options whose value is a list sshd prints one line per item (or space-separated).
LIST_OPTIONS = ("allowusers", "denyusers", "allowgroups", "denygroups", "port", "listenaddress", "authorizedkeysfile")


class SshdUnavailable(Exception):
    """sshd is not installed, or it refuses the configuration: nothing to evaluate."""


def _write_tree(view, temp):
    dropins = os.path.join(temp, "sshd_config.d")
    os.mkdir(dropins)
    for path in view.glob(f"{DROPIN_DIR}/*"):
        text = view.read_text(path)
        if text is not None:
            with open(os.path.join(dropins, os.path.basename(path)), "w", encoding="utf-8") as handle:
                handle.write(text)
    main = (view.read_text(MAIN) or "").replace(DROPIN_DIR, dropins)
    main_path = os.path.join(temp, "sshd_config")
    with open(main_path, "w", encoding="utf-8") as handle:
        handle.write(main)
    return main_path


def effective(ctx, view, user, addr, lport, laddr=None):
    """{option: [values]} for a login of `user` from `addr` to local port `lport`."""
    spec = f"user={user},host={addr},addr={addr},lport={lport}"
    if laddr is not None:
        spec += f",laddr={laddr}"
    with tempfile.TemporaryDirectory(prefix="lz-sshd-") as temp:
        result = ctx.run(["sshd", "-T", "-f", _write_tree(view, temp), "-C", spec])
    if not result.ok:
        raise SshdUnavailable(f"sshd -T: {result.message()}")
    options = {}
    for line in result.stdout.splitlines():
        words = line.split(None, 1)
        if not words:
            continue
        key, value = words[0].lower(), words[1] if len(words) > 1 else ""
        values = value.split() if key in LIST_OPTIONS else [value]
        options.setdefault(key, []).extend(values)
    return options


def _pattern_matches(pattern, name, addr):
    """One AllowUsers-style item: USER or USER@HOST, HOST a pattern or a CIDR."""
    user_part, _, host_part = pattern.partition("@")
    if not fnmatch.fnmatchcase(name, user_part):
        return False
    if not host_part:
        return True
    try:
        return ipaddress.ip_address(str(addr)) in ipaddress.ip_network(host_part, strict=False)
    except ValueError:
        return fnmatch.fnmatchcase(str(addr), host_part)


def _list_matches(items, name, addr):
    """sshd's pattern lists: the first negated match refuses, any other match admits."""
    positive = False
    for item in items:
        negated = item.startswith("!")
        if _pattern_matches(item.lstrip("!"), name, addr):
            if negated:
                return False
            positive = True
    return positive


def refusal(options, account, addr, lport):
    """(option, why) of the first rule that refuses this key login, or None."""
    users = options.get("denyusers", [])
    if users and _list_matches(users, account.name, addr):
        return "denyusers", f"DenyUsers {' '.join(users)} names {account.name}"
    users = options.get("allowusers", [])
    if users and not _list_matches(users, account.name, addr):
        return "allowusers", f"AllowUsers {' '.join(users)} does not name {account.name} from {addr}"
    groups = options.get("denygroups", [])
    hit = sorted(g for g in account.groups if _list_matches(groups, g, addr)) if groups else []
    if hit:
        return "denygroups", f"DenyGroups {' '.join(groups)} names its group {', '.join(hit)}"
    groups = options.get("allowgroups", [])
    if groups and not any(_list_matches(groups, g, addr) for g in account.groups):
        return "allowgroups", (
            f"AllowGroups {' '.join(groups)} names none of its groups ({', '.join(sorted(account.groups)) or 'none'})"
        )
    if account.name == "root" and options.get("permitrootlogin", ["yes"])[0] == "no":
        return "permitrootlogin", "PermitRootLogin no"
    if options.get("pubkeyauthentication", ["yes"])[0] != "yes":
        return "pubkeyauthentication", "PubkeyAuthentication no"
    methods = options.get("authenticationmethods", ["any"])[0]
    if methods != "any" and "publickey" not in methods.split():
        return "authenticationmethods", f"AuthenticationMethods {methods} asks for more than a key"
    ports = options.get("port", [])
    if ports and str(lport) not in ports:
        return "port", f"sshd would listen on port {', '.join(ports)}, not on port {lport} that the session uses"
    if options.get("forcecommand", ["none"])[0] != "none":
        return "forcecommand", f"ForceCommand {options['forcecommand'][0]} replaces every command of the run"
    return None


def key_files(options, account):
    """The authorized keys files sshd reads for the account, as host paths."""
    files = []
    for item in options.get("authorizedkeysfile", [".ssh/authorized_keys", ".ssh/authorized_keys2"]):
        if item == "none":
            continue
        path = item.replace("%h", account.home).replace("%u", account.name).replace("%%", "%")
        files.append(path if path.startswith("/") else os.path.join(account.home, path))
    return files


def _too_open(info, uid):
    return (info.st_uid not in (0, uid)) or bool(stat.S_IMODE(info.st_mode) & 0o022)


def _strict_modes_problem(ctx, path, account):
    """sshd's StrictModes: the file and every directory up to the home directory."""
    current = path
    while True:
        if _too_open(os.stat(ctx.path(current)), account.uid):
            return f"StrictModes refuses {current}: writable by others or owned by someone else"
        if current in (account.home, "/") or not current.startswith(account.home.rstrip("/") + "/"):
            return ""
        current = os.path.dirname(current)


def key_problem(ctx, options, account):
    """(option, why) when sshd would read none of the account's keys, or None."""
    if options.get("authorizedkeyscommand", ["none"])[0] != "none":
        return None  # keys come from a command; the files do not decide
    files = key_files(options, account)
    present = [p for p in files if os.path.isfile(ctx.path(p))]
    if not present:
        return "authorizedkeysfile", f"none of its authorized keys files exists ({', '.join(files)})"
    if options.get("strictmodes", ["yes"])[0] != "yes":
        return None
    problems = [_strict_modes_problem(ctx, path, account) for path in present]
    if all(problems):
        return "strictmodes", problems[0]
    return None


def password_refusal(options, account):
    """(option, why) when sshd would not take the account's password, or None."""
    if not account.password or account.password.startswith(("!", "*")):
        return "", "it has no usable password"
    password = options.get("passwordauthentication", ["yes"])[0] == "yes"
    interactive = (
        options.get("kbdinteractiveauthentication", ["no"])[0] == "yes" and options.get("usepam", ["no"])[0] == "yes"
    )
    if not password and not interactive:
        return "passwordauthentication", "PasswordAuthentication no (and no keyboard-interactive through PAM)"
    methods = options.get("authenticationmethods", ["any"])[0]
    if methods != "any" and not {"password", "keyboard-interactive"} & set(methods.split()):
        return "authenticationmethods", f"AuthenticationMethods {methods} takes no password alone"
    return None
