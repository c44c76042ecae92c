"""Whether sudoers lets an account become root the way Ansible does, on current or staged files.

Ansible runs `sudo -H -S -p <its prompt> -u root /bin/sh -c '... python3 ...'` without a
terminal. This reads /etc/sudoers and what it includes, and answers for one account:
the last rule that matches (sudo's own order), whether it needs a password, and the
Defaults that would break such a run (requiretty, rootpw, targetpw, runaspw, noexec,
passprompt_override). It covers the sudoers syntax Debian and the baseline use: aliases,
%group, ALL, negation, tags, and Defaults bound to a user, runas or command.
"""

from __future__ import annotations

import os
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit

MAIN = "/etc/sudoers"
SHELLS = ("/bin/sh", "/usr/bin/sh")
_INCLUDE = re.compile(r"^[#@](include|includedir)\s+(\S+)")
_ALIAS = re.compile(r"^(User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias)\s+(.*)$")
_DEFAULTS = re.compile(r"^Defaults([:>@!])?(\S*)\s+(.*)$")
_TAG = re.compile(r"^([A-Z_]+):\s*")
# The user list (items joined by commas, maybe spaced), then the host = command specs.
_USER_SPEC = re.compile(r"^(\S+(?:\s*,\s*\S+)*)\s+(\S.*)$")
TAGS = {
    "NOPASSWD",
    "PASSWD",
    "NOEXEC",
    "EXEC",
    "SETENV",
    "NOSETENV",
    "LOG_INPUT",
    "NOLOG_INPUT",
    "LOG_OUTPUT",
    "NOLOG_OUTPUT",
    "MAIL",
    "NOMAIL",
    "FOLLOW",
    "NOFOLLOW",
    "INTERCEPT",
    "NOINTERCEPT",
}


def _logical_lines(view, path, depth=0):
    """(file, line) of every sudoers line, continuations joined, includes followed in order."""
    text = textedit.ensure_text(view.read_text(path))
    pending = ""
    for raw in text.splitlines():
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line, pending = (pending + raw).strip(), ""
        include = _INCLUDE.match(line)
        if include and depth < 8:
            target = include.group(2)
            if not target.startswith("/"):
                target = os.path.join(os.path.dirname(path), target)
            if include.group(1) == "include":
                yield from _logical_lines(view, target, depth + 1)
            else:
                # sudo skips names that end in '~' or contain a '.'.
                for found in view.glob(f"{target.rstrip('/')}/*"):
                    name = os.path.basename(found)
                    if not name.endswith("~") and "." not in name:
                        yield from _logical_lines(view, found, depth + 1)
            continue
        if not line or line.startswith("#"):
            continue
        yield path, line.split(" #", 1)[0].strip()


def _split(text, separator=","):
    """Split on `separator` outside parentheses: (ALL:ALL) and (root, alice) stay whole."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _host_specs(text):
    """`host = commands : host = commands`; a ':' of a tag (NOPASSWD:) starts no new spec."""
    specs = []
    for part in _split(text, ":"):
        if specs and "=" not in part:
            specs[-1] += ": " + part
        else:
            specs.append(part)
    return specs


def delegation_problem(rule):
    """Why a sudoers rule a catalog writes breaks the rules of delegation, or None.

    A rule for ALL commands is an administrator's: NOEXEC there would stop Ansible's become
    (`sh -c ... python3`) and dpkg's maintainer scripts, so it is refused. A rule that names
    commands delegates them: each needs NOEXEC (it must not start others), its arguments (or ""
    for none), and no negation, which sudo cannot enforce against a renamed or copied binary.
    """
    spec_line = _USER_SPEC.match(rule.strip())
    if not spec_line or "=" not in rule:
        return "must read 'who host = commands'"
    users, rest = spec_line.groups()
    for spec in _host_specs(rest):
        hosts, _, commands = spec.partition("=")
        if any(name.startswith("!") for name in _split(users) + _split(hosts)):
            return "negates a user or host: a rule lists who may, never who may not"
        for _, tags, command in Sudoers._commands(commands):
            if command == "ALL":
                if tags.get("EXEC") is False:
                    return "NOEXEC on ALL stops Ansible's become and dpkg's maintainer scripts; name the commands"
            elif command.startswith("!"):
                return f"negates {command!r}: a rule lists what is allowed, never what is not"
            elif tags.get("EXEC") is not False:
                return f"{command!r} needs NOEXEC: a delegated command must not start others"
            elif len(command.split(None, 1)) < 2:
                return f'{command!r} names no arguments; give them, or "" for none'
    return None


class Sudoers:
    def __init__(self, view):
        self.aliases = {}
        self.defaults = []  # (file, kind, binding, params)
        self.rules = []  # (file, line, users, hosts, commands [(runas, tags, command)])
        for path, line in _logical_lines(view, MAIN):
            self._read(path, line)

    def _read(self, path, line):
        alias = _ALIAS.match(line)
        if alias:
            for definition in _split(alias.group(2), ":"):
                name, _, members = definition.partition("=")
                self.aliases[name.strip()] = _split(members)
            return
        defaults = _DEFAULTS.match(line)
        if defaults:
            self.defaults.append((path, defaults.group(1) or "", defaults.group(2), _split(defaults.group(3))))
            return
        spec_line = _USER_SPEC.match(line)
        if not spec_line or "=" not in line:
            return
        users_text, rest = spec_line.groups()
        for spec in _host_specs(rest):
            hosts, _, commands = spec.partition("=")
            self.rules.append((path, line, _split(users_text), _split(hosts), self._commands(commands)))

    @staticmethod
    def _commands(text):
        out, runas, tags = [], None, {}
        for item in _split(text):
            if item.startswith("("):
                close = item.find(")")
                runas, item = item[1:close], item[close + 1 :].strip()
            while True:
                tag = _TAG.match(item)
                if not tag or tag.group(1) not in TAGS:
                    break
                tags = dict(tags, **{tag.group(1).removeprefix("NO"): not tag.group(1).startswith("NO")})
                item = item[tag.end() :]
            out.append((runas, dict(tags), item.strip()))
        return out

    def _matches(self, items, test, depth=0):
        """sudo's list matching: the last item that matches decides, '!' turns it into a refusal."""
        decision = None
        for item in items:
            negated = item.startswith("!")
            word = item.lstrip("!").strip()
            if word in self.aliases and depth < 8:
                hit = self._matches(self.aliases[word], test, depth + 1)
            else:
                hit = True if word == "ALL" else test(word)
            if hit:
                decision = not negated
        return bool(decision)

    def rule_for(self, account, hostname):
        """(file, line, tags) of the last rule letting the account run /bin/sh as root, or None."""
        found = None

        def user_test(word):
            if word.startswith("%"):
                return word[1:] in account.groups
            return word == account.name or word == f"#{account.uid}"

        def runas_test(word):
            return word in ("root", "#0")

        def command_test(word):
            return word.split()[0] in SHELLS and (len(word.split()) == 1 or word.split()[1] == "*")

        for path, line, users, hosts, commands in self.rules:
            if not self._matches(users, user_test) or not self._matches(hosts, lambda w: w == hostname):
                continue
            for runas, tags, command in commands:
                runas_users = (runas or "root").split(":", 1)[0] or "root"
                if not self._matches(_split(runas_users), runas_test):
                    continue
                negated = command.startswith("!")
                if self._matches([command.lstrip("!")], command_test):
                    found = None if negated else (path, line, tags)
        return found

    def settings_for(self, account, hostname):
        """{flag or option: (value, file)} of the Defaults that apply to this run, last one wins."""
        settings = {}
        for path, kind, binding, params in self.defaults:
            bound = _split(binding)
            if kind == ":" and not self._matches(
                bound, lambda w: w in (account.name, *(f"%{g}" for g in account.groups))
            ):
                continue
            if kind == ">" and not self._matches(bound, lambda w: w in ("root", "#0")):
                continue
            if kind == "@" and not self._matches(bound, lambda w: w == hostname):
                continue
            if kind == "!" and not self._matches(bound, lambda w: w.split()[0] in SHELLS):
                continue
            for param in params:
                name, _, value = param.partition("=")
                name = name.strip().rstrip("+-")
                if name.startswith("!"):
                    settings[name[1:]] = (False, path)
                else:
                    settings[name] = (value.strip().strip('"') if value else True, path)
        return settings


# Defaults that make a run without a terminal, answering its own prompt with the
# account's password, fail.
BREAKING = {
    "requiretty": "sudo requires a terminal (requiretty), and Ansible has none",
    "noexec": "sudo runs commands with noexec, so python3 cannot start other programs",
    "passprompt_override": "sudo replaces Ansible's prompt (passprompt_override), so Ansible never sees it",
}
OTHER_PASSWORD = {
    "rootpw": "sudo asks for root's password (rootpw), not the account's own",
    "targetpw": "sudo asks for the target user's password (targetpw), not the account's own",
    "runaspw": "sudo asks for the runas user's password (runaspw), not the account's own",
}


def refusal(view, account, hostname, password_given):
    """(blame, why) when sudo would refuse the account's become, or None.

    blame is ("sudo_default", flag) for a Defaults setting, ("file", path) for a rule.
    """
    sudoers = Sudoers(view)
    rule = sudoers.rule_for(account, hostname)
    if rule is None:
        return ("file", MAIN), f"no sudoers rule lets {account.name} run commands as root"
    path, line, tags = rule
    settings = sudoers.settings_for(account, hostname)
    for flag, why in BREAKING.items():
        value, _ = settings.get(flag, (False, None))
        if value and not (flag == "noexec" and tags.get("EXEC") is True):
            return ("sudo_default", flag), why
    if tags.get("EXEC") is False:
        return ("file", path), f"its sudoers rule '{line}' runs commands with NOEXEC"
    needs_password = tags.get("PASSWD", True) and settings.get("authenticate", (True, None))[0] is not False
    if not needs_password:
        return None
    for flag, why in OTHER_PASSWORD.items():
        value, _ = settings.get(flag, (False, None))
        if value:
            return ("sudo_default", flag), why
    if not password_given:
        return ("file", path), (
            f"its sudoers rule '{line}' asks for its password, and the run gives none (ansible_become_password)"
        )
    return None
