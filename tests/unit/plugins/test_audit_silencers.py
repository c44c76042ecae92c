"""Rules that are not ours and silence ours although ours is loaded, judged on the real Debian 12
listing (`auditctl/bookworm-l.txt`) with the attack rules put in where the kernel lists them:
task rules before the exit list, exit rules in their order (`auditctl -A` puts one first),
exclude and filesystem rules after it, each in the kernel's own spelling (`-S all`, `-1` for
unset, numeric uids). No auditctl runs here: it would read this machine's kernel.
"""

from __future__ import annotations

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.audit_kernel import (
    NARROWED,
    SILENCES,
    KernelRules,
)
from test_audit_kernel import BOOKWORM, RULES, STATUS_LOCKED

EXIT = BOOKWORM.splitlines()
B32_ONLY = [rule for rule in RULES if "arch=b32" in rule]
B64_ONLY = [rule for rule in RULES if "arch=b64" in rule]
EVERY_ARCH = [rule for rule in RULES if "arch=" not in rule]
B64_MOUNT = "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts"
B64_CHMOD = "-a always,exit -F arch=b64 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod"
B32_CHMOD = "-a always,exit -F arch=b32 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod"
B64_CHOWN = "-a always,exit -F arch=b64 -S chown,fchown,lchown,fchownat -F auid>=1000 -F auid!=unset -k perm_mod"
PASSWD = "-w /etc/passwd -p wa -k identity"
SHADOW = "-w /etc/shadow -p wa -k identity"
SUDO = "-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k privileged"
UTMP = "-w /var/run/utmp -p wa -k session"


def kernel(task=(), first=(), last=(), exclude=(), filesystem=(), after_line=None, middle=()):
    exit_list = list(EXIT)
    if after_line is not None:
        exit_list[after_line:after_line] = list(middle)
    listed = [*task, *first, *exit_list, *last, *exclude, *filesystem]
    return KernelRules("\n".join(listed) + "\n", STATUS_LOCKED)


def verdicts(kernel_rules, rule):
    return [(verdict, listed.line, listed.number) for verdict, listed, _ in kernel_rules.silencers(rule)]


def test_the_real_listing_alone_silences_none_of_ours():
    assert (len(B32_ONLY), len(B64_ONLY), len(EVERY_ARCH)) == (7, 11, 41)
    plain = kernel()
    assert [rule for rule in RULES if plain.silencers(rule)] == []


def test_a_never_rule_prepended_for_one_arch_silences_every_rule_that_arch_reaches_and_names_line_1():
    # auditctl -A never,exit -F arch=b64 -S all: listed first, with -a.
    attacked = kernel(first=["-a never,exit -F arch=b64 -S all"])
    for rule in B64_ONLY + EVERY_ARCH:
        assert verdicts(attacked, rule) == [(SILENCES, "-a never,exit -F arch=b64 -S all", 1)], rule
    for rule in B32_ONLY:
        assert verdicts(attacked, rule) == [], rule


def test_a_never_rule_on_every_syscall_silences_all_of_ours():
    attacked = kernel(first=["-a never,exit -S all"])
    assert all(verdicts(attacked, rule) == [(SILENCES, "-a never,exit -S all", 1)] for rule in RULES)


def test_a_never_rule_loaded_after_ours_is_harmless():
    after = kernel(last=["-a never,exit -S all", "-a never,exit -F arch=b64 -S all -F auid=-1"])
    assert [rule for rule in RULES if after.silencers(rule)] == []


def test_a_never_rule_between_ours_silences_only_those_after_it():
    position = EXIT.index("-w /etc/sudoers -p wa -k scope")  # 7 of ours before it
    between = kernel(after_line=position, middle=["-a never,exit -S all"])
    for index, ours in enumerate(EXIT):  # each of ours in the kernel's spelling, in its order
        expected = [(SILENCES, "-a never,exit -S all", position + 1)] if index >= position else []
        assert verdicts(between, ours) == expected, ours


def test_a_never_rule_for_one_syscall_of_one_arch_silences_the_rules_it_overlaps_and_no_other():
    attacked = kernel(first=["-a never,exit -F arch=b64 -S chmod"])
    assert verdicts(attacked, B64_CHMOD) == [(SILENCES, "-a never,exit -F arch=b64 -S chmod", 1)]
    # A watch and a path rule see every syscall: chmod on the file is one they record.
    assert verdicts(attacked, PASSWD)[0][0] == SILENCES
    assert verdicts(attacked, SUDO)[0][0] == SILENCES
    # Another arch, or another syscall set, cannot overlap.
    for rule in (B32_CHMOD, B64_CHOWN, B64_MOUNT):
        assert verdicts(attacked, rule) == [], rule


def test_a_never_rule_on_the_other_arch_and_disjoint_syscalls_is_harmless():
    attacked = kernel(first=["-a never,exit -F arch=b32 -S all", "-a never,exit -F arch=b64 -S reboot"])
    assert [rule for rule in B64_ONLY if attacked.silencers(rule)] == []
    # The b32 one silences every b32 rule; the watches see b32 syscalls too.
    assert all(verdicts(attacked, rule)[0][0] == SILENCES for rule in B32_ONLY + EVERY_ARCH)


@pytest.mark.parametrize(
    "narrowed",
    [
        "-a never,exit -S all -F auid=-1",  # `-F auid=unset` as listed
        "-a never,exit -S all -F uid=102",  # `-F uid=chrony` as listed
        "-a never,exit -S all -F exe=/usr/sbin/chronyd",
        "-a never,exit -S all -F success=0",
        "-a never,exit -S all -C uid!=euid",
    ],
)
def test_a_never_rule_narrowed_by_who_or_what_is_named_but_does_not_fail(narrowed):
    attacked = kernel(first=[narrowed])
    assert all(verdicts(attacked, rule) == [(NARROWED, narrowed, 1)] for rule in RULES)


def test_a_never_rule_on_one_file_silences_that_watch_and_is_an_exception_for_the_others():
    attacked = kernel(first=["-a never,exit -S all -F path=/etc/shadow"])
    assert verdicts(attacked, SHADOW) == [(SILENCES, "-a never,exit -S all -F path=/etc/shadow", 1)]
    # Ours on another file, or on no file: only the events that name /etc/shadow too (a rename).
    assert verdicts(attacked, PASSWD)[0][0] == NARROWED
    assert verdicts(attacked, B64_MOUNT)[0][0] == NARROWED
    directory = kernel(first=["-a never,exit -S all -F dir=/var/run"])
    assert verdicts(directory, UTMP)[0][0] == SILENCES
    assert verdicts(directory, PASSWD)[0][0] == NARROWED


def test_a_never_task_rule_silences_every_syscall_rule_wherever_it_is_listed():
    task = kernel(task=["-a never,task"])
    assert all(verdicts(task, rule) == [(SILENCES, "-a never,task", 1)] for rule in RULES)
    narrowed = kernel(task=["-a never,task -F uid=102"])
    assert all(verdicts(narrowed, rule) == [(NARROWED, "-a never,task -F uid=102", 1)] for rule in RULES)
    assert [rule for rule in RULES if kernel(task=["-a always,task"]).silencers(rule)] == []


@pytest.mark.parametrize(
    ("excluded", "verdict"),
    [
        ("-a always,exclude -F msgtype=SYSCALL", SILENCES),  # the record that carries our key
        ("-a never,exclude -F msgtype=SYSCALL", SILENCES),  # the kernel ignores an exclude rule's action
        ("-a always,exclude -F msgtype=PATH", NARROWED),  # our events lose which file
        ("-a always,exclude -F msgtype=CONFIG_CHANGE", NARROWED),  # the trace of a rule change
        ("-a always,exclude -F msgtype=SYSCALL -F uid=102", NARROWED),
        ("-a always,exclude -F msgtype=USER_LOGIN", NARROWED),  # a type not known here: named
    ],
)
def test_an_exclude_rule_that_drops_our_records_is_judged(excluded, verdict):
    last_line = len(EXIT) + 1
    attacked = kernel(exclude=[excluded])
    assert all(verdicts(attacked, rule) == [(verdict, excluded, last_line)] for rule in RULES)


def test_an_exclude_rule_by_number_range_that_takes_in_syscall_records_silences():
    attacked = kernel(exclude=["-a always,exclude -F msgtype>=1300 -F msgtype<=1399"])
    assert verdicts(attacked, B64_MOUNT)[0][0] == SILENCES
    spared = kernel(exclude=["-a always,exclude -F msgtype>=1301 -F msgtype<=1399"])
    assert verdicts(spared, B64_MOUNT)[0][0] == NARROWED


def test_a_never_filesystem_rule_is_named():
    attacked = kernel(filesystem=["-a never,filesystem -F fstype=tmpfs"])
    assert verdicts(attacked, UTMP)[0][0] == NARROWED


def test_control_rules_and_rules_not_loaded_have_no_silencers():
    attacked = kernel(first=["-a never,exit -S all"])
    assert attacked.silencers("-e 2") == []
    assert attacked.silencers("-w /etc/not-ours -p wa -k x") == []
