"""The audit rule comparison of kernel_checks.py, on rules of the catalog and the
lines `auditctl -l` printed for them on the lab VM. Boots nothing."""

import pytest
from kernel_checks import audit_rule_signature

SAME_RULE = [
    ("-w /etc/pam.d/ -p wa -k identity", "-w /etc/pam.d -p wa -k identity"),
    (
        "-a always,exit -F arch=b64 -C euid!=uid -F auid!=unset -S execve -k user_emulation",
        "-a always,exit -F arch=b64 -S execve -C uid!=euid -F auid!=-1 -F key=user_emulation",
    ),
    (
        "-a always,exit -F arch=b32 -S adjtimex,settimeofday,clock_settime -k time-change",
        "-a always,exit -F arch=b32 -S settimeofday,adjtimex,clock_settime -F key=time-change",
    ),
    (
        "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k kernel_modules",
        "-a always,exit -S all -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=-1 -F key=kernel_modules",
    ),
]

DIFFERENT_RULES = [
    (
        "-a always,exit -F arch=b64 -S mount -F auid>=1000 -F auid!=unset -k mounts",
        "-a always,exit -F arch=b32 -S mount -F auid>=1000 -F auid!=-1 -F key=mounts",
    ),
    (
        "-a always,exit -F arch=b64 -S open,creat -F exit=-EACCES -F auid>=1000 -F auid!=unset -k access",
        "-a always,exit -F arch=b64 -S open,creat -F exit=-EPERM -F auid>=1000 -F auid!=-1 -F key=access",
    ),
    ("-w /etc/sudoers -p wa -k scope", "-w /etc/sudoers -p w -k scope"),
    ("-w /etc/hosts -p wa -k system-locale", "-w /etc/hosts -p wa -k identity"),
]


@pytest.mark.parametrize(("written", "listed"), SAME_RULE)
def test_a_rule_matches_its_auditctl_listing(written, listed):
    assert audit_rule_signature(written) == audit_rule_signature(listed)


@pytest.mark.parametrize(("one", "other"), DIFFERENT_RULES)
def test_different_rules_do_not_match(one, other):
    assert audit_rule_signature(one) != audit_rule_signature(other)
