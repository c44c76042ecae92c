"""sshd's effective configuration for one login, on the current or the staged files.

`sshd -T -C user=...,addr=...,lport=...` answers with the configuration sshd would apply to
that connection, Match blocks included. For the staged view the candidate files are
written to a temporary directory first, with the Include of sshd_config.d pointed there.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
import re
import stat
import tempfile
from dataclasses import dataclass

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


def _parse_dump(text):
    options = {}
    for line in text.splitlines():
        words = line.split(None, 1)
        if not words:
            continue
        key, value = words[0].lower(), words[1] if len(words) > 1 else ""
        values = value.split() if key in LIST_OPTIONS else [value]
        options.setdefault(key, []).extend(values)
    return options


def connection_spec(user, addr, lport, laddr=None):
    """sshd -T's -C argument for a login of `user` from `addr` to local port `lport`."""
    spec = f"user={user},host={addr},addr={addr},lport={lport}"
    return spec if laddr is None else f"{spec},laddr={laddr}"


# sshd -T's answers within one run, by the files it read and the connection: the sshd
# controls ask the same question many times over the same files.
_ANSWERS = {}


def dump(ctx, view, spec=None):
    """{option: [values]} that sshd applies to the connection `spec` (-C), or globally."""
    with tempfile.TemporaryDirectory(prefix="lz-sshd-") as temp:
        main_path = _write_tree(view, temp)
        tree = [view.read_text(MAIN)] + [(p, view.read_text(p)) for p in view.glob(f"{DROPIN_DIR}/*")]
        key = (ctx.run_id, ctx.root, id(ctx.runner), spec, repr(tree))
        if key not in _ANSWERS:
            argv = ["sshd", "-T", "-f", main_path] + (["-C", spec] if spec else [])
            if len(_ANSWERS) > 64:
                _ANSWERS.clear()
            _ANSWERS[key] = ctx.run(argv)
        result = _ANSWERS[key]
    if not result.ok:
        # Name the host's files, not the copies sshd read.
        message = result.message().replace(f"{temp}/sshd_config.d", DROPIN_DIR).replace(f"{temp}/sshd_config", MAIN)
        raise SshdUnavailable(f"sshd -T: {message}")
    return _parse_dump(result.stdout)


def effective(ctx, view, user, addr, lport, laddr=None):
    """{option: [values]} for a login of `user` from `addr` to local port `lport`."""
    return dump(ctx, view, connection_spec(user, addr, lport, laddr))


# The keywords sshd takes inside a Match block (sshd_config(5), OpenSSH 9.x). Any other keyword
# there is read for no login: a Match block cannot undo our Ciphers or LoginGraceTime.
MATCH_OPTIONS = frozenset(
    (
        "acceptenv",
        "allowagentforwarding",
        "allowgroups",
        "allowstreamlocalforwarding",
        "allowtcpforwarding",
        "allowusers",
        "authenticationmethods",
        "authorizedkeyscommand",
        "authorizedkeyscommanduser",
        "authorizedkeysfile",
        "authorizedprincipalscommand",
        "authorizedprincipalscommanduser",
        "authorizedprincipalsfile",
        "banner",
        "casignaturealgorithms",
        "channeltimeout",
        "chrootdirectory",
        "clientalivecountmax",
        "clientaliveinterval",
        "denygroups",
        "denyusers",
        "disableforwarding",
        "exposeauthinfo",
        "forcecommand",
        "gatewayports",
        "gssapiauthentication",
        "hostbasedacceptedalgorithms",
        "hostbasedauthentication",
        "hostbasedusesnamefrompacketonly",
        "ignorerhosts",
        "include",
        "ipqos",
        "kbdinteractiveauthentication",
        "kerberosauthentication",
        "loglevel",
        "maxauthtries",
        "maxsessions",
        "passwordauthentication",
        "permitemptypasswords",
        "permitlisten",
        "permitopen",
        "permitrootlogin",
        "permittty",
        "permittunnel",
        "permituserrc",
        "pubkeyacceptedalgorithms",
        "pubkeyauthentication",
        "pubkeyauthoptions",
        "rekeylimit",
        "revokedkeys",
        "setenv",
        "streamlocalbindmask",
        "streamlocalbindunlink",
        "trustedusercakeys",
        "unusedconnectiontimeout",
        "x11displayoffset",
        "x11forwarding",
        "x11uselocalhost",
    )
)
_LINE = re.compile(r"^\s*([A-Za-z0-9]+)(?:\s*=\s*|\s+)(.*?)\s*$")


@dataclass(frozen=True)
class Setting:
    """One line that sets an option, where sshd reads it."""

    path: str
    keyword: str  # as the file spells it
    value: str
    match: str  # the Match line it sits under; "" when it applies to every connection
    before_dropins: bool = False  # in the main file, before its Include of sshd_config.d


def _keyword_lines(text):
    for line in (text or "").splitlines():
        found = _LINE.match(line)
        if found and not line.lstrip().startswith("#"):
            yield found.group(1), found.group(2), line.strip()


def settings(view, option):
    """Every line that sets `option`, in the order sshd reads the files: the main file up to its
    Include of sshd_config.d, the drop-ins sorted by name, then the rest of the main file.
    A Match block lasts to the next Match or to the end of its file; a keyword sshd does not take
    in a Match block is left out there, as sshd reads it for no login."""
    option = option.lower()
    main = list(_keyword_lines(view.read_text(MAIN)))
    split = next(
        (i for i, (key, value, _) in enumerate(main) if key.lower() == "include" and DROPIN_DIR in value), None
    )
    segments = [(MAIN, main if split is None else main[:split], split is not None)]
    if split is not None:
        segments += [
            (path, list(_keyword_lines(view.read_text(path))), False) for path in view.glob(f"{DROPIN_DIR}/*.conf")
        ]
        segments.append((MAIN, main[split + 1 :], False))
    found, matches = [], {}
    for path, lines, before_dropins in segments:
        for keyword, value, line in lines:
            if keyword.lower() == "match":
                matches[path] = line  # `Match all` too: a Match block's value overrides the global one
            elif keyword.lower() == option and (path not in matches or option in MATCH_OPTIONS):
                found.append(Setting(path, keyword, value, matches.get(path, ""), before_dropins))
    return found


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
