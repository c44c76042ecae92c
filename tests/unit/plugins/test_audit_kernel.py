"""The comparison of an audit rule as the catalog writes it with the rules the kernel lists.

`auditctl/bookworm-l.txt` is what `auditctl -l` (audit 3.0.9, Debian 12) printed on the lab
VM after the baseline loaded the catalog's rules: every catalog rule must be found in it, and
a rule that differs in anything the kernel applies must not be. The other listings are the
other forms auditctl prints the same kernel rule in (a directory watch with its trailing
slash, a watch written as an exit rule), from audit's listing code; no Debian 13 VM listing
was captured. No auditctl runs here: it would read this machine's kernel.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.audit_kernel import (
    KernelRules,
    is_control_rule,
    signature,
)
from engine_harness import COLLECTIONS  # noqa: F401  (puts the collection on sys.path)

ROOT = Path(__file__).resolve().parents[3]
BOOKWORM = (Path(__file__).parent / "auditctl" / "bookworm-l.txt").read_text(encoding="utf-8")
STATUS_LOCKED = "enabled 2\nfailure 1\npid 612\nrate_limit 0\nbacklog_limit 8192\nlost 0\nbacklog 0\n"


def catalog_rules():
    rules = []
    for path in sorted((ROOT / "roles" / "linux_baseline" / "controls").glob("*.yml")):
        for entries in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).values():
            rules += [c["params"]["rule"] for c in entries or [] if c["type"] == "audit_rule"]
    return rules


RULES = [rule for rule in catalog_rules() if not is_control_rule(rule)]


def test_every_catalog_rule_is_found_in_what_the_debian_12_kernel_listed():
    kernel = KernelRules(BOOKWORM, STATUS_LOCKED)
    assert len(RULES) == len(BOOKWORM.splitlines()) == 59
    assert [rule for rule in RULES if not kernel.loaded(rule)] == []
    # One listed line per rule: no two catalog rules collapse into one signature.
    assert len({signature(rule) for rule in RULES}) == len(RULES)


def test_a_rule_deleted_from_the_kernel_is_not_found():
    for index, rule in enumerate(RULES):
        lines = BOOKWORM.splitlines()
        del lines[index]
        assert not KernelRules("\n".join(lines), STATUS_LOCKED).loaded(rule), rule


SAME = [
    # Debian 12's listing: -k as -F key=, unset as -1, the sides of -C swapped, syscalls reordered.
    (
        "-a always,exit -F arch=b64 -C euid!=uid -F auid!=unset -S execve -k user_emulation",
        "-a always,exit -F arch=b64 -S execve -C uid!=euid -F auid!=-1 -F key=user_emulation",
    ),
    (
        "-a always,exit -F arch=b32 -S chown,fchown,lchown,fchownat -F auid>=1000 -F auid!=unset -k perm_mod",
        "-a always,exit -F arch=b32 -S lchown,fchown,chown,fchownat -F auid>=1000 -F auid!=-1 -F key=perm_mod",
    ),
    # A rule on no syscall in particular is listed with -S all.
    (
        "-a always,exit -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=unset -k privileged",
        "-a always,exit -S all -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F auid!=-1 -F key=privileged",
    ),
    (
        "-a always,exit -F arch=b64 -S mount -F auid!=4294967295 -k m",
        "-a always,exit -F arch=b64 -S mount -F auid!=-1 -F key=m",
    ),
    # A directory watch, listed without its slash (3.0) or with it (a DIR field).
    ("-w /etc/pam.d/ -p wa -k identity", "-w /etc/pam.d -p wa -k identity"),
    ("-w /etc/pam.d -p wa -k identity", "-w /etc/pam.d/ -p wa -k identity"),
    # The same watch as an exit rule on every syscall: the kernel holds one rule for both.
    ("-w /etc/pam.d/ -p wa -k identity", "-a always,exit -S all -F dir=/etc/pam.d/ -F perm=wa -F key=identity"),
    ("-w /etc/passwd -p wa -k identity", "-a always,exit -S all -F path=/etc/passwd -F perm=wa -F key=identity"),
    ("-a exit,always -F path=/etc/passwd -F perm=aw -k identity", "-w /etc/passwd -p wa -k identity"),
    # Permissions in auditctl's order, and -w's default.
    ("-w /etc/sudoers -p aw -k scope", "-w /etc/sudoers -p wa -k scope"),
    ("-w /etc/sudoers -k scope", "-w /etc/sudoers -p rwxa -k scope"),
    # Two keys of one rule.
    ("-w /etc/hosts -p wa -k a -k b", "-w /etc/hosts -p wa -k b -k a"),
]

DIFFERENT = [
    (
        "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts",
        "-a always,exit -F arch=b32 -S mount -F auid>=1000 -F auid!=-1 -F key=mounts",
    ),
    (
        "-a always,exit -F arch=b64 -S open,creat -F exit=-EACCES -F auid>=1000 -F auid!=unset -k access",
        "-a always,exit -F arch=b64 -S open,creat -F exit=-EPERM -F auid>=1000 -F auid!=-1 -F key=access",
    ),
    (
        "-a always,exit -F arch=b64 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod",
        "-a always,exit -F arch=b64 -S chmod,fchmod -F auid>=1000 -F auid!=-1 -F key=perm_mod",
    ),
    (
        "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts",
        "-a always,exit -F arch=b64 -S mount -F auid>=500 -F auid!=-1 -F key=mounts",
    ),
    (
        "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts",
        "-a never,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=-1 -F key=mounts",
    ),
    (
        "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts",
        "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F key=mounts",
    ),
    ("-w /etc/sudoers -p wa -k scope", "-w /etc/sudoers -p w -k scope"),
    ("-w /etc/hosts -p wa -k system-locale", "-w /etc/hosts -p wa -k identity"),
    ("-w /etc/hosts -p wa -k system-locale", "-w /etc/hosts -p wa"),
    ("-w /etc/sudoers -p wa -k scope", "-w /etc/sudoers.d -p wa -k scope"),
    # A path rule with another condition is no watch: it audits fewer events.
    (
        "-w /usr/bin/sudo -p x -k privileged",
        "-a always,exit -S all -F path=/usr/bin/sudo -F perm=x -F auid>=1000 -F key=privileged",
    ),
    (
        "-w /etc/passwd -p wa -k identity",
        "-a always,exit -F arch=b64 -S open -F path=/etc/passwd -F perm=wa -F key=identity",
    ),
]


@pytest.mark.parametrize(("written", "listed"), SAME)
def test_a_rule_matches_the_form_auditctl_lists_it_in(written, listed):
    assert signature(written) == signature(listed)
    assert KernelRules(listed + "\n", "enabled 1\n").loaded(written)


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_rules_the_kernel_applies_differently_do_not_match(one, other):
    assert signature(one) != signature(other)
    assert not KernelRules(other + "\n", "enabled 1\n").loaded(one)


def test_control_rules_are_judged_by_the_status():
    locked = KernelRules("No rules\n", STATUS_LOCKED)
    assert locked.locked and locked.loaded("-e 2") and locked.loaded("-b 8192") and locked.loaded("-f 1")
    assert locked.judged_by("-e 2") == "auditctl -s" and locked.judged_by("-w /x -p wa") == "auditctl -l"
    open_kernel = KernelRules("No rules\n", "enabled 1\nfailure 1\n")
    assert not open_kernel.locked and not open_kernel.loaded("-e 2") and open_kernel.shown("-e 2") == "1"
    assert not open_kernel.loaded("-b 8192")  # not shown at all


def test_no_rules_lists_nothing():
    assert KernelRules("No rules\n", "enabled 1\n").signatures == set()
