"""Rules that are not ours and silence ours although ours is loaded, judged on the real Debian 12
listing (`auditctl/bookworm-l.txt`) with the attack rules put in where the kernel lists them:
task rules before the exit list, exit rules in their order (`auditctl -A` puts one first),
exclude and filesystem rules after it, each in the kernel's own spelling (`-S all`, `-1` for
unset, numeric uids). No auditctl runs here: it would read this machine's kernel.

The kernel holds a `-w` on a file, and a `path=` rule, with that file's own rules, judged after
the exit list for the events on the file; a `-w` on a directory is a `dir=` rule of the exit
list. The listing does not say which: DIRECTORIES are the watched paths that are directories
on Debian 12.
"""

from __future__ import annotations

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.audit_kernel import (
    NARROWED,
    SILENCES,
    KernelRules,
)
from test_audit_kernel import BOOKWORM, STATUS_LOCKED

EXIT = BOOKWORM.splitlines()
B64_MOUNT = "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts"
B64_CHMOD = "-a always,exit -F arch=b64 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod"
B32_CHMOD = "-a always,exit -F arch=b32 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod"
B64_CHOWN = "-a always,exit -F arch=b64 -S chown,fchown,lchown,fchownat -F auid>=1000 -F auid!=unset -k perm_mod"
PASSWD = "-w /etc/passwd -p wa -k identity"
SHADOW = "-w /etc/shadow -p wa -k identity"
SUDO = "-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k privileged"
UTMP = "-w /var/run/utmp -p wa -k session"


DIRECTORIES = {
    "/etc/pam.d",
    "/etc/sudoers.d",
    "/etc/network",
    "/etc/apparmor.d",
    "/etc/ssh/sshd_config.d",
    "/etc/audit",
    "/etc/cron.d",
    "/var/run/faillock",
}
WATCHED = [line.split()[1] for line in EXIT if line.startswith("-w")]
ON_A_FILE = [line for line in EXIT if "path=" in line or (line.startswith("-w") and line.split()[1] not in DIRECTORIES)]
EXIT_LIST = list(EXIT)  # every exit rule, watches included, in one priority order
B32_EXIT = [line for line in EXIT_LIST if "arch=b32" in line]
PAM = "-w /etc/pam.d -p wa -k identity"
FAILLOCK = "-w /var/run/faillock -p wa -k logins"


def kernel(task=(), first=(), last=(), exclude=(), filesystem=(), after_line=None, middle=()):
    exit_list = list(EXIT)
    if after_line is not None:
        exit_list[after_line:after_line] = list(middle)
    listed = [*task, *first, *exit_list, *last, *exclude, *filesystem]
    return KernelRules("\n".join(listed) + "\n", STATUS_LOCKED)


def verdicts(kernel_rules, rule):
    return [(v, listed.line, listed.number) for v, listed, _ in kernel_rules.silencers(rule)]


def silenced(kernel_rules, rules=EXIT):
    """Ours (in the kernel's spelling) with any silencer, and whether one SILENCES it."""
    return {rule: verdicts(kernel_rules, rule) for rule in rules if verdicts(kernel_rules, rule)}


def test_the_real_listing_alone_silences_none_of_ours():
    assert set(WATCHED) >= DIRECTORIES and (len(EXIT), len(ON_A_FILE), len(B32_EXIT)) == (59, 33, 7)
    assert silenced(kernel()) == {}


def test_a_never_rule_prepended_for_one_arch_silences_the_exit_list_rules_of_that_arch_and_names_line_1():
    # auditctl -A never,exit -F arch=b64 -S all: listed first, with -a.
    attacked = kernel(first=["-a never,exit -F arch=b64 -S all"])
    expected = [(SILENCES, "-a never,exit -F arch=b64 -S all", 1)]
    assert silenced(attacked) == {rule: expected for rule in EXIT_LIST if rule not in B32_EXIT}
    # Watches on files too: exit rules carry one priority order, whichever table holds them.
    assert verdicts(attacked, PASSWD) == expected and verdicts(attacked, SUDO) == expected


def test_a_never_rule_on_every_syscall_silences_every_rule_of_the_exit_list():
    attacked = kernel(first=["-a never,exit -S all"])
    assert silenced(attacked) == {rule: [(SILENCES, "-a never,exit -S all", 1)] for rule in EXIT_LIST}


def test_an_arch_written_as_an_exclusion_is_taken_to_overlap_every_arch():
    attacked = kernel(first=["-a never,exit -F arch!=b32 -S all"])
    assert verdicts(attacked, B64_MOUNT) == [(SILENCES, "-a never,exit -F arch!=b32 -S all", 1)]


def test_a_never_rule_loaded_after_ours_is_harmless():
    after = kernel(last=["-a never,exit -S all", "-a never,exit -F arch=b64 -S all -F auid=-1"])
    assert silenced(after) == {}


def test_a_never_rule_between_ours_silences_only_those_after_it():
    position = EXIT.index("-w /etc/sudoers -p wa -k scope")  # 7 of ours before it
    between = kernel(after_line=position, middle=["-a never,exit -S all"])
    expected = [(SILENCES, "-a never,exit -S all", position + 1)]
    assert silenced(between) == {rule: expected for rule in EXIT_LIST[EXIT_LIST.index(PAM) + 1 :]}
    assert EXIT.index(PAM) < position


def test_a_never_rule_for_one_syscall_of_one_arch_silences_the_rules_it_overlaps_and_no_other():
    attacked = kernel(first=["-a never,exit -F arch=b64 -S chmod"])
    assert verdicts(attacked, B64_CHMOD) == [(SILENCES, "-a never,exit -F arch=b64 -S chmod", 1)]
    # A watch on a directory sees every syscall: a chmod in it is one it records.
    assert verdicts(attacked, PAM)[0][0] == SILENCES
    # Another arch, or another syscall set, cannot overlap; a file's own rule decides later.
    assert verdicts(attacked, PASSWD)[0][0] == SILENCES and verdicts(attacked, SUDO)[0][0] == SILENCES
    for rule in (B32_CHMOD, B64_CHOWN, B64_MOUNT):
        assert verdicts(attacked, rule) == [], rule


def test_a_never_rule_on_the_other_arch_and_disjoint_syscalls_is_harmless():
    attacked = kernel(first=["-a never,exit -F arch=b32 -S all", "-a never,exit -F arch=b64 -S reboot"])
    b32 = (SILENCES, "-a never,exit -F arch=b32 -S all", 1)
    reboot = (SILENCES, "-a never,exit -F arch=b64 -S reboot", 2)
    # A directory watch sees every syscall of both arches (conservative: a reboot touches no file).
    assert silenced(attacked) == {
        rule: [b32, reboot] if "arch=" not in rule else [b32] for rule in EXIT_LIST if "arch=b64" not in rule
    }


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
def test_a_never_rule_narrowed_by_who_or_what_is_named_but_does_not_silence(narrowed):
    attacked = kernel(first=[narrowed])
    assert silenced(attacked) == {rule: [(NARROWED, narrowed, 1)] for rule in EXIT_LIST}


def test_a_never_rule_on_one_file_silences_its_watch_and_narrows_the_rules_after_it_only_when_first():
    shadow_never = "-a never,exit -S all -F path=/etc/shadow"
    attacked = kernel(first=[shadow_never])
    assert verdicts(attacked, SHADOW) == [(SILENCES, shadow_never, 1)]
    # Another file's watch: only the events that name /etc/shadow too (a rename); a syscall rule:
    # only its events on /etc/shadow. Listed after ours, it reaches none of them.
    assert verdicts(attacked, PASSWD) == [(NARROWED, shadow_never, 1)]
    assert verdicts(attacked, B64_MOUNT) == [(NARROWED, shadow_never, 1)]
    after = kernel(last=[shadow_never])
    assert verdicts(after, SHADOW) == [] and verdicts(after, B64_MOUNT) == []


def test_a_never_dir_rule_silences_the_directory_watches_under_it():
    directory = kernel(first=["-a never,exit -S all -F dir=/var/run"])
    assert verdicts(directory, FAILLOCK)[0][0] == SILENCES
    assert verdicts(directory, UTMP)[0][0] == SILENCES
    assert verdicts(directory, B64_MOUNT)[0][0] == NARROWED


def test_a_never_task_rule_silences_every_syscall_rule_wherever_it_is_listed():
    task = kernel(task=["-a never,task"])
    assert silenced(task) == {rule: [(SILENCES, "-a never,task", 1)] for rule in EXIT}
    narrowed = kernel(task=["-a never,task -F uid=102"])
    assert silenced(narrowed) == {rule: [(NARROWED, "-a never,task -F uid=102", 1)] for rule in EXIT}
    assert silenced(kernel(task=["-a always,task"])) == {}


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
    attacked = kernel(exclude=[excluded])
    assert silenced(attacked) == {rule: [(verdict, excluded, len(EXIT) + 1)] for rule in EXIT}


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
