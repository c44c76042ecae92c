"""What PAM would refuse: a faillock lock and pam_access rules, on the current or staged files.

pam-auth-update writes /etc/pam.d/common-* from the profiles in /usr/share/pam-configs/
only when the run commits, so for the staged view a pam_faillock profile the run stages
stands for the lines it will put into common-auth.
"""

from __future__ import annotations

import ipaddress
import os
import re
import struct
import time

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit

PROFILE_DIR = "/usr/share/pam-configs"
FAILLOCK_CONF = "/etc/security/faillock.conf"
ACCESS_CONF = "/etc/security/access.conf"
# struct tally of pam_faillock: source[52], reserved u16, status u16, time u64.
TALLY = struct.Struct("=52sHHQ")
TALLY_VALID = 0x1
FAILLOCK_DEFAULTS = {"dir": "/var/run/faillock", "deny": "3", "fail_interval": "900", "unlock_time": "600"}
_SKIP = re.compile(r"pam_succeed_if\.so\b.*\buser\s+in\s+(\S+)")


def _lines(view, service, depth=0):
    """The active lines of /etc/pam.d/<service>, with @include expanded: (type, rest, file)."""
    path = f"/etc/pam.d/{service}"
    for line in textedit.ensure_text(view.read_text(path)).splitlines():
        if textedit.is_comment(line):
            continue
        words = line.split()
        if words[0] == "@include" and len(words) > 1 and depth < 8:
            yield from _lines(view, words[1], depth + 1)
        else:
            yield words[0].lstrip("-"), line.strip(), path


def _profile_auth_lines(text):
    """The Auth: lines of a pam-auth-update profile."""
    section, lines = None, []
    for line in textedit.ensure_text(text).splitlines():
        if re.match(r"^[A-Za-z-]+:", line):
            section = line.split(":", 1)[0]
        elif section == "Auth" and line.strip():
            lines.append(line.strip())
    return lines


def _faillock_lines(view, service):
    """(auth lines in stack order, the file they come from) for the faillock question."""
    staged_profiles = [
        path
        for path in view.glob(f"{PROFILE_DIR}/*")
        if view.changed(path) and "pam_faillock.so" in textedit.ensure_text(view.read_text(path))
    ]
    if staged_profiles:
        lines = [(line, path) for path in staged_profiles for line in _profile_auth_lines(view.read_text(path))]
        return lines
    return [(rest, path) for kind, rest, path in _lines(view, service) if kind == "auth"]


def _faillock_applies(lines, user):
    """(applies, file): whether a pam_faillock preauth line runs for `user`, not skipped before it."""
    skipped = set()
    for line, path in lines:
        match = _SKIP.search(line)
        if match:
            skipped = set(match.group(1).split(":"))
            continue
        if "pam_faillock.so" in line and "preauth" in line.split():
            return user not in skipped, path
        skipped = set()
    return False, None


def _config(view):
    values = dict(FAILLOCK_DEFAULTS)
    for line in textedit.ensure_text(view.read_text(FAILLOCK_CONF)).splitlines():
        if textedit.is_comment(line):
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip() or "yes"
    return values


def failures(ctx, directory, user, since):
    """(count, sources) of failed attempts recorded for `user` after `since`."""
    data = b""
    try:
        with open(ctx.path(os.path.join(directory, user)), "rb") as handle:
            data = handle.read()
    except OSError:
        return 0, []
    count, sources = 0, []
    for offset in range(0, len(data) - TALLY.size + 1, TALLY.size):
        source, _reserved, status, when = TALLY.unpack_from(data, offset)
        if status & TALLY_VALID and when >= since:
            count += 1
            sources.append(source.split(b"\0", 1)[0].decode("utf-8", "replace"))
    return count, sources


def at_limit(ctx, view, user, now=None):
    """'N failed attempts in the last S s (from ...), deny = D' when `user` has reached
    faillock's limit under the view's faillock.conf, or ''."""
    config = _config(view)
    now = time.time() if now is None else now
    interval = int(config["fail_interval"]) if config["fail_interval"].isdigit() else 900
    deny = int(config["deny"]) if config["deny"].isdigit() else 3
    count, sources = failures(ctx, config["dir"], user, now - interval)
    if deny == 0 or count < deny:
        return ""
    origins = ", ".join(sorted(set(s for s in sources if s))) or "unknown"
    return f"{count} failed attempts in the last {interval} s (from {origins}), deny = {deny}"


def faillock_problem(ctx, view, service, user, now=None):
    """(file, why) when pam_faillock would refuse `user` in `service` now, or None."""
    applies, path = _faillock_applies(_faillock_lines(view, service), user)
    if not applies:
        return None
    reached = at_limit(ctx, view, user, now)
    return (path, f"pam_faillock in {path} would lock it: {reached}") if reached else None


def _items(field):
    words = field.split()
    if "EXCEPT" in words:
        at = words.index("EXCEPT")
        return words[:at], words[at + 1 :]
    return words, []


def _listed(field, matches):
    included, excluded = _items(field)
    return any(matches(w) for w in included) and not any(matches(w) for w in excluded)


def _origin_matches(word, origin):
    if word == "ALL":
        return True
    if word == "LOCAL":
        return origin.get("tty") is not None and origin.get("addr") is None
    if origin.get("tty") is not None and word == origin["tty"]:
        return True
    addr = origin.get("addr")
    if addr is None:
        return False
    try:
        return ipaddress.ip_address(str(addr)) in ipaddress.ip_network(word, strict=False)
    except ValueError:
        return word.endswith(".") and str(addr).startswith(word)


def _user_matches(word, account):
    if word == "ALL":
        return True
    if word.startswith("(") and word.endswith(")"):
        return word[1:-1] in account.groups
    return word == account.name or word in account.groups


def access_problem(view, service, account, origin):
    """(file, why) when pam_access in `service` refuses the account from `origin`, or None.

    origin is {"addr": address or None, "tty": tty name or None}.
    """
    configured = [rest for kind, rest, _ in _lines(view, service) if kind == "account" and "pam_access.so" in rest]
    if not configured:
        return None
    path = ACCESS_CONF
    for word in configured[0].split():
        if word.startswith("accessfile="):
            path = word.split("=", 1)[1]
    for line in textedit.ensure_text(view.read_text(path)).splitlines():
        if textedit.is_comment(line):
            continue
        fields = line.split(":", 2)
        if len(fields) != 3:
            continue
        permission, users, origins = (f.strip() for f in fields)
        if _listed(users, lambda w: _user_matches(w, account)) and _listed(
            origins, lambda w: _origin_matches(w, origin)
        ):
            if permission == "-":
                return path, f"pam_access in /etc/pam.d/{service} refuses it: '{line.strip()}' in {path}"
            return None
    return None
