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

A loaded rule can still be silenced by rules that are not ours (`silencers`); see there.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from operator import eq, ge, gt, le, lt, ne

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


# The record of a syscall event that carries its key: dropped, the event is gone for a search by key.
SYSCALL_RECORD = 1300
# The message types auditctl prints by name (`-F msgtype=SYSCALL`), by their numbers.
MESSAGE_TYPES = {
    "SYSCALL": 1300,
    "PATH": 1302,
    "IPC": 1303,
    "SOCKETCALL": 1304,
    "CONFIG_CHANGE": 1305,
    "SOCKADDR": 1306,
    "CWD": 1307,
    "EXECVE": 1309,
    "EOE": 1320,
    "PROCTITLE": 1327,
}
NUMERIC = re.compile(r"^-?\d+$")
# Fields that say only where (which arch, which file, which access): they are compared with ours.
PLACE_FIELDS = ("path", "dir")
IGNORED_FIELDS = ("key", "perm")  # a key matches nothing; perm is taken to overlap (see silencers)
SILENCES = "silences"
NARROWED = "narrowed"


@dataclass(frozen=True)
class ListedRule:
    """One line of `auditctl -l`, taken apart for judging which events it matches."""

    line: str
    number: int  # its line in `auditctl -l` (1 = first)
    filter: str  # the kernel's list: exit, task, exclude, filesystem, user, io_uring
    action: str  # always or never
    arches: frozenset  # empty: every arch
    syscalls: frozenset  # empty: every syscall
    places: tuple  # (field, path): a watch is ("watch", path), listed alike for a file or a directory
    narrowing: tuple  # every other condition, in canonical spelling (auid, uid, exe, success ...)
    msgtypes: tuple  # (operator, value) of the msgtype conditions of an exclude rule


def parse_listed(line, number=0):
    """A rule as auditctl lists (or a rules file writes) it, as a ListedRule."""
    words = shlex.split(line)
    pairs = [(words[i], words[i + 1]) for i in range(len(words) - 1)]
    filter_name, action = "exit", "always"
    arches, syscalls, places, narrowing, msgtypes = set(), set(), [], [], []
    for flag, value in pairs:
        if flag == "-w":
            places.append(("watch", value.rstrip("/") or "/"))
        elif flag in ("-a", "-A"):
            for part in value.split(","):
                if part in ("always", "never"):
                    action = part
                else:
                    filter_name = part
        elif flag == "-S":
            syscalls.update(value.split(","))
        elif flag in ("-F", "-C"):
            condition = _condition(value, symmetric=flag == "-C")
            match = COMPARISON.match(condition)
            field, operator, right = match.groups() if match else (condition, "", "")
            if flag == "-C":
                narrowing.append(condition)
            elif field == "arch":
                if operator == "=":
                    arches.add(right)
                # Any other comparison is taken as every arch (conservative: it overlaps ours).
            elif field in PLACE_FIELDS and operator == "=":
                places.append((field, right))
            elif field == "msgtype":
                msgtypes.append((operator, right))
            elif field not in IGNORED_FIELDS:
                narrowing.append(condition)
    syscalls.discard("all")
    return ListedRule(
        line=line.strip(),
        number=number,
        filter=filter_name,
        action=action,
        arches=frozenset(arches),
        syscalls=frozenset(syscalls),
        places=tuple(places),
        narrowing=tuple(narrowing),
        msgtypes=tuple(msgtypes),
    )


def _disjoint(theirs, ours):
    return bool(theirs) and bool(ours) and not theirs & ours


def _covers(place, other):
    """Whether every event on `other`'s file is one on `place`'s (a watch may be a directory)."""
    field, path = place
    if field == "path":
        return other[1] == path
    return other[1] == path or other[1].startswith(path.rstrip("/") + "/")


def _places_overlap(theirs, ours):
    """SILENCES where their files take in all of ours, NARROWED where only some may be ours."""
    if not theirs:
        return SILENCES
    if ours and all(any(_covers(place, mine) for place in theirs) for mine in ours):
        return SILENCES
    return NARROWED


def _exit_overlap(never, ours):
    """How a never rule in the exit list, matched first, stops ours (None: it cannot)."""
    if _disjoint(never.arches, ours.arches) or _disjoint(never.syscalls, ours.syscalls):
        return None
    if never.narrowing:
        return NARROWED
    return _places_overlap(never.places, ours.places)


def _exit_verdict(never, before, ours):
    """How a rule of the exit list stops ours (None: it cannot); see KernelRules.silencers."""
    # Exit rules, watches included, carry a priority in the order listed: the first that matches
    # decides, whichever table holds it (measured on a Debian 12 kernel: a prepended never rule
    # silences a watch on a file too).
    if never.action != "never" or not before:
        return None, ""
    return _exit_overlap(never, ours), WHY["exit"]


# A msgtype condition's operators, as the kernel compares a record's type with the value.
COMPARISONS = {
    "=": eq,
    "!=": ne,
    ">": gt,
    ">=": ge,
    "<": lt,
    "<=": le,
}


def _message_type(value):
    return int(value) if NUMERIC.match(value) else MESSAGE_TYPES.get(value)


def _drops_syscall_record(rule):
    """True where every msgtype condition holds for a SYSCALL record, False where one cannot,
    None where a type's name is unknown here."""
    for comparison, value in rule.msgtypes:
        number = _message_type(value)
        if number is None or comparison not in COMPARISONS:
            return None
        if not COMPARISONS[comparison](SYSCALL_RECORD, number):
            return False
    return True


def _exclude_overlap(rule):
    """An exclude rule drops the records it matches, whatever its action says."""
    if not rule.msgtypes and not rule.narrowing:
        return None  # a rule with no condition matches no record in the kernel's exclude filter
    if _drops_syscall_record(rule) and not rule.narrowing and rule.msgtypes:
        return SILENCES
    return NARROWED


WHY = {
    "exit": "loaded before it, and the kernel takes the first rule that matches",
    "task": "a task it matches gets no syscall audit context, so no syscall rule fires for it",
    "exclude": "the kernel drops the records an exclude rule matches",
    "filesystem": "the kernel records no file on a file system it matches",
}


class KernelRules:
    """What `auditctl -l` and `auditctl -s` showed, once per run."""

    def __init__(self, listed, status):
        self.listed = listed
        self.rules = [
            parse_listed(line, number)
            for number, line in enumerate(listed.splitlines(), start=1)
            if line.startswith(("-w", "-a", "-A"))
        ]
        self.listed_signatures = [signature(rule.line) for rule in self.rules]
        self.signatures = set(self.listed_signatures)
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

    def silencers(self, rule):
        """The loaded rules that are not ours and stop ours from recording: [(SILENCES or
        NARROWED, ListedRule, why)], for a rule the kernel lists.

        At a syscall's exit the kernel takes the first matching rule of the exit list, watches
        included: each exit rule carries a priority in the order listed, whichever table holds it
        (measured on a Debian 12 kernel: a prepended `never,exit -F arch=b64 -S all` silenced a
        watch on a file, a watch on a directory and a syscall rule alike). So a `never` exit rule
        before ours stops it for every event both match; one after it cannot.

        Overlap is decided on what says where: arch (`-F arch=`), syscalls (`-S`) and files
        (`path=`, `dir=`, `-w`). Disjoint arches or disjoint syscall sets cannot overlap;
        anything else is taken to overlap (conservative: syscalls are compared by name, not by
        what a watch's permissions select, and `perm` is never taken to separate two rules, as
        an open for read and write is both). A never rule with no other condition SILENCES
        ours when its files take in all of ours (none named, the same file, or a directory above
        it); one with any other condition (auid, uid, exe, success, a `-C` comparison ...), or
        whose files are only some of ours or others (a rename names two), is NARROWED: ours
        still records the other events. Its conditions are not compared with ours
        (conservative: `auid=unset` is named on a rule that itself asks `auid!=unset`). Rules
        that cannot reach ours (after it, or an exit rule against ours on a file) and `always`
        rules (one before ours records the event under its own key) are not named.

        Other lists, whatever their position: a `never` task rule SILENCES every syscall rule
        (NARROWED with a condition); an exclude rule (its action is ignored by the kernel)
        SILENCES when it drops every SYSCALL record, the one that carries our key, and is
        NARROWED when it drops only some, or other records of our events (PATH, CWD ...), or
        names a message type not known here; a `never` filesystem rule is NARROWED (which file
        system our files are on is not judged). An earlier `always` task rule that would shield
        a task from a later `never` is not credited (conservative).
        """
        wanted = signature(rule)
        if wanted[0] == "control" or wanted not in self.signatures:
            return []
        position = self.listed_signatures.index(wanted)
        ours = self.rules[position]
        found = []
        for index, listed in enumerate(self.rules):
            why = WHY.get(listed.filter, "")
            if listed.filter == "exit":
                verdict, why = _exit_verdict(listed, index < position, ours)
            elif listed.filter == "task":
                verdict = (NARROWED if listed.narrowing else SILENCES) if listed.action == "never" else None
            elif listed.filter == "exclude":
                verdict = _exclude_overlap(listed)
            elif listed.filter == "filesystem":
                verdict = NARROWED if listed.action == "never" else None
            else:
                verdict = None
            if verdict:
                found.append((verdict, listed, why))
        return found

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
