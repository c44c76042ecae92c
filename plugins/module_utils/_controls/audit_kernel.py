"""The audit rules the kernel has loaded, and one comparable form for a rule as written in a
rules file and as `auditctl -l` prints it back.

auditctl lists the kernel's rules in its own canonical form, not as they were written:
- syscalls and fields in the kernel's order, `-S all` where a rule names no syscall;
- `-k key` of a syscall rule as `-F key=key`, `auid!=unset` as `auid!=-1`;
- the two sides of a `-C` comparison swapped (`-C euid!=uid` comes back as `-C uid!=euid`);
- a watch on a directory without its trailing slash (audit 3.0, Debian 12), or with one;
- a watch (`-w PATH -p PERMS -k KEY`) and the same rule written as
  `-a always,exit -F path|dir=PATH -F perm=PERMS -F key=KEY` both as `-w` (it cannot tell them
  apart: the kernel holds one rule for both), with its permissions in the order r, w, x, a.

Control rules (`-e`, `-f`, `-b`, `-r`, `--backlog_wait_time`) are no rules in the kernel's
list: `auditctl -s` shows their values.
"""

from __future__ import annotations

import re
import shlex

# Each control rule's flag, and the line of `auditctl -s` that shows its value.
CONTROL_STATUS = {
    "-e": "enabled",
    "-f": "failure",
    "-b": "backlog_limit",
    "-r": "rate_limit",
    "--backlog_wait_time": "backlog_wait_time",
}
# The kernel refuses every rule change, until the next boot, once this is loaded.
LOCKED = "2"
# auditctl prints an unset login uid as -1, however the rule spelt it.
UNSET_ID = {"unset": "-1", "4294967295": "-1"}
COMPARISON = re.compile(r"^(\w+)(!=|>=|<=|=|>|<|&=|&)(.*)$")
WATCH_PERMS = "rwxa"  # what auditctl -w watches without -p
WATCH_FIELDS = ("path", "dir")


class AuditUnavailable(Exception):
    """auditctl cannot be asked here (not installed, not allowed): only the files can be read."""


def _condition(text, symmetric):
    """One -F or -C condition in a canonical spelling."""
    match = COMPARISON.match(text)
    if not match:
        return text
    left, operator, right = match.groups()
    if left in WATCH_FIELDS:
        right = right.rstrip("/") or "/"
    elif left == "perm":
        right = "".join(sorted(right))
    else:
        right = UNSET_ID.get(right, right)
    if symmetric and operator in ("=", "!="):
        left, right = sorted((left, right))
    return f"{left}{operator}{right}"


def is_control_rule(rule):
    words = rule.split()
    return bool(words) and words[0] in CONTROL_STATUS


def signature(rule):
    """What makes a rule itself, the same for the rule as written and as auditctl lists it.

    A control rule is ("control", status line, value); a watch ("watch", path, perms, keys);
    any other rule ("syscall", list and action, syscalls, conditions, keys).
    """
    words = shlex.split(rule)
    if words and words[0] in CONTROL_STATUS:
        return ("control", CONTROL_STATUS[words[0]], words[1] if len(words) > 1 else "")
    watch, perms, action = None, None, None
    keys, syscalls, conditions = [], set(), set()
    for flag, value in [(words[i], words[i + 1]) for i in range(len(words) - 1)]:
        if flag == "-w":
            watch = value.rstrip("/") or "/"
        elif flag == "-p":
            perms = "".join(sorted(value))
        elif flag in ("-a", "-A"):
            action = ",".join(sorted(value.split(",")))
        elif flag == "-k":
            keys.append(value)
        elif flag == "-S":
            syscalls.update(value.split(","))
        elif flag == "-F" and value.startswith("key="):
            keys.append(value[len("key=") :])
        elif flag in ("-F", "-C"):
            conditions.add(_condition(value, symmetric=flag == "-C"))
    keys = tuple(sorted(keys))
    if watch is not None:
        return ("watch", watch, perms or "".join(sorted(WATCH_PERMS)), keys)
    syscalls.discard("all")
    watched = _as_watch(action, syscalls, conditions, keys)
    return watched or ("syscall", action, frozenset(syscalls), frozenset(conditions), keys)


def _as_watch(action, syscalls, conditions, keys):
    """The watch an exit rule on every syscall with only a path or dir and a perm is."""
    if action != "always,exit" or syscalls:
        return None
    named = dict(condition.split("=", 1) for condition in conditions if COMPARISON.match(condition))
    if len(named) != len(conditions) or len(conditions) != 2 or "perm" not in named:
        return None
    place = [named[field] for field in WATCH_FIELDS if field in named]
    if len(place) != 1:
        return None
    return ("watch", place[0], named["perm"], keys)


def parse_status(text):
    """{name: first word of its value} from `auditctl -s`."""
    status = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2:
            status[words[0]] = words[1]
    return status


class KernelRules:
    """What `auditctl -l` and `auditctl -s` showed, once per run."""

    def __init__(self, listed, status):
        self.listed = listed
        self.signatures = {signature(line) for line in listed.splitlines() if line.startswith(("-w", "-a", "-A"))}
        self.status = parse_status(status)

    @property
    def locked(self):
        return self.status.get("enabled") == LOCKED

    def loaded(self, rule):
        """Whether the kernel applies the rule; for a control rule, whether it shows its value."""
        wanted = signature(rule)
        if wanted[0] == "control":
            return self.status.get(wanted[1]) == wanted[2]
        return wanted in self.signatures

    @staticmethod
    def judged_by(rule):
        return "auditctl -s" if is_control_rule(rule) else "auditctl -l"

    def shown(self, rule):
        """What the kernel shows for the rule's control value, for the finding (None for a rule)."""
        wanted = signature(rule)
        return self.status.get(wanted[1]) if wanted[0] == "control" else None


# The kernel's answers within one run: every audit_rule control asks the same two questions.
_ANSWERS = {}


def _ask(ctx, argv):
    result = ctx.run(argv)
    if not result.ok:
        raise AuditUnavailable(f"{' '.join(argv)}: {result.message()}")
    return result.stdout


def kernel_rules(ctx, after_load=False):
    """The kernel's rules and status (KernelRules), read once per run, and once more after the
    run's load (after_load); AuditUnavailable if auditctl cannot be asked."""
    key = (ctx.run_id, ctx.root, id(ctx.runner), after_load)
    if key not in _ANSWERS:
        if len(_ANSWERS) > 16:
            _ANSWERS.clear()
        try:
            _ANSWERS[key] = KernelRules(_ask(ctx, ["auditctl", "-l"]), _ask(ctx, ["auditctl", "-s"]))
        except AuditUnavailable as error:
            _ANSWERS[key] = error
    answer = _ANSWERS[key]
    if isinstance(answer, AuditUnavailable):
        raise answer
    return answer
