"""One spelling per sshd value, so a config file's line and `sshd -T`'s answer compare equal.

`sshd -T` prints lower-case keywords, yes/no flags, time in seconds, algorithm lists
without spaces, and the defaults of everything unset; a config file may say `LoginGraceTime 1m`,
`LogLevel verbose` or `Ciphers aes256-ctr, aes128-ctr`. Both sides go through `canonical`.
"""

from __future__ import annotations

import re

# Values sshd reads as a time (OpenSSH's convtime): a number with an optional unit, repeated.
TIME_OPTIONS = frozenset(("logingracetime", "clientaliveinterval"))
TIME_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_TIME_PART = re.compile(r"(\d+)([smhdw]?)", re.IGNORECASE)
# Comma-separated algorithm lists: their order is the preference, so it is kept.
COMMA_LISTS = frozenset(
    (
        "ciphers",
        "macs",
        "kexalgorithms",
        "hostkeyalgorithms",
        "pubkeyacceptedalgorithms",
        "hostbasedacceptedalgorithms",
        "casignaturealgorithms",
    )
)
# Names, paths and commands: their case is theirs. Every other value is a keyword sshd reads
# without regard to case (yes/no, VERBOSE, prohibit-password, algorithm names).
CASE_KEPT = frozenset(
    (
        "allowusers",
        "denyusers",
        "allowgroups",
        "denygroups",
        "banner",
        "authorizedkeysfile",
        "authorizedkeyscommand",
        "authorizedkeyscommanduser",
        "authorizedprincipalsfile",
        "chrootdirectory",
        "forcecommand",
        "subsystem",
        "trustedusercakeys",
        "revokedkeys",
        "hostkey",
        "pidfile",
        "versionaddendum",
        "acceptenv",
        "setenv",
    )
)
# Old spellings sshd still reads, as `sshd -T` prints them.
ALIASES = {("permitrootlogin", "without-password"): "prohibit-password", ("loglevel", "silent"): "quiet"}


class BadValue(ValueError):
    """A value sshd itself would refuse for this option."""


def seconds(text):
    """`1m30s` -> 90, the way sshd reads a time."""
    text = text.strip()
    parts = _TIME_PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise BadValue(f"{text!r} is not a time sshd reads (a number with s, m, h, d or w)")
    return sum(int(number) * TIME_UNITS[unit.lower()] for number, unit in parts)


def canonical(option, value):
    """The comparable form of `value` for `option` (case-insensitive keyword): a string."""
    option = option.lower()
    text = " ".join(str(value).split())
    if option in TIME_OPTIONS:
        return str(seconds(text))
    if option in COMMA_LISTS:
        return ",".join(item.strip().lower() for item in text.split(",") if item.strip())
    if option not in CASE_KEPT:
        text = text.lower()
    return ALIASES.get((option, text), text)
