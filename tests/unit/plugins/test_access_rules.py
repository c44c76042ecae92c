"""The readers behind the lockout checks, each against the text it reads: sudoers, the
firewall's input chain, pam_faillock's tally, pam_access, shadow expiry and the session."""

from __future__ import annotations

import ipaddress
import struct
import time

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access import (
    accounts,
    firewall,
    pam,
    session,
    sudoers,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.view import LiveView
from engine_harness import TODAY, make_host
from lockout_harness import DEBIAN_SUDOERS


def live(system):
    return LiveView(make_host(system))


def account(name="ops", groups=("ops", "sudo"), shadow=None):
    return accounts.Account(name, 1000, 1000, f"/home/{name}", "/bin/bash", set(groups), "$y$x", list(shadow or []))


# ---- sudoers ------------------------------------------------------------------------------


def test_debians_sudo_group_rule_needs_the_password_the_run_gives(system):
    system.write("/etc/sudoers", DEBIAN_SUDOERS, 0o440)
    assert sudoers.refusal(live(system), account(), "h", password_given=True) is None
    blame, why = sudoers.refusal(live(system), account(), "h", password_given=False)
    assert blame == ("file", "/etc/sudoers") and "ansible_become_password" in why


def test_the_last_matching_rule_wins_and_negation_refuses(system):
    system.write("/etc/sudoers", DEBIAN_SUDOERS, 0o440)
    system.write("/etc/sudoers.d/ops", "ops ALL=(ALL) NOPASSWD: ALL\n", 0o440)
    assert sudoers.refusal(live(system), account(), "h", password_given=False) is None
    system.write("/etc/sudoers.d/zz-deny", "ops ALL=(ALL) ALL, !/bin/sh\n", 0o440)
    blame, why = sudoers.refusal(live(system), account(), "h", password_given=True)
    assert "no sudoers rule" in why


def test_drop_ins_with_a_dot_or_a_tilde_are_skipped_as_sudo_does(system):
    system.write("/etc/sudoers", "@includedir /etc/sudoers.d\n", 0o440)
    system.write("/etc/sudoers.d/ops.disabled", "ops ALL=(ALL) NOPASSWD: ALL\n", 0o440)
    system.write("/etc/sudoers.d/ops~", "ops ALL=(ALL) NOPASSWD: ALL\n", 0o440)
    assert "no sudoers rule" in sudoers.refusal(live(system), account(), "h", True)[1]


def test_aliases_runas_lists_and_continuation_lines(system):
    system.write(
        "/etc/sudoers",
        "User_Alias ADMINS = alice, \\\n  ops\nRunas_Alias ROOTS = root, #0\n"
        "ADMINS ALL = (ROOTS) NOPASSWD: /bin/sh, /usr/bin/apt\n",
        0o440,
    )
    assert sudoers.refusal(live(system), account(), "h", password_given=False) is None
    assert sudoers.refusal(live(system), account("bob", ("bob",)), "h", True)[1].startswith("no sudoers rule")


@pytest.mark.parametrize(
    ("defaults", "flag"),
    [
        ("Defaults requiretty", "requiretty"),
        ("Defaults:ops requiretty", "requiretty"),
        ("Defaults:%sudo noexec", "noexec"),
        ("Defaults>root targetpw", "targetpw"),
        ("Defaults rootpw", "rootpw"),
        ('Defaults passprompt_override, passprompt="pw:"', "passprompt_override"),
    ],
)
def test_defaults_that_break_a_become_without_a_terminal(system, defaults, flag):
    system.write("/etc/sudoers", DEBIAN_SUDOERS + defaults + "\n", 0o440)
    blame, _ = sudoers.refusal(live(system), account(), "h", password_given=True)
    assert blame == ("sudo_default", flag)


def test_defaults_bound_to_someone_else_do_not_count(system):
    system.write("/etc/sudoers", DEBIAN_SUDOERS + "Defaults:alice requiretty\nDefaults !requiretty\n", 0o440)
    assert sudoers.refusal(live(system), account(), "h", password_given=True) is None


# ---- the firewall's input chain -------------------------------------------------------------


RULESET = """table inet landingzone_filter {
    chain input {
        type filter hook input priority filter; policy drop;
        ct state established,related accept
        ct state invalid drop
        iif "lo" accept
        ip saddr { 10.20.0.0/16 } tcp dport { 22, 2222 } accept
        ip6 saddr 2001:db8::7 tcp dport 22 accept comment "current operator session"
    }
}
"""


@pytest.mark.parametrize(
    ("source", "port", "allowed"),
    [
        ("10.20.3.4", 22, True),
        ("10.20.3.4", 2222, True),
        ("10.21.0.1", 22, False),
        ("10.20.3.4", 80, False),
        ("2001:db8::7", 22, True),
        ("2001:db8::8", 22, False),
    ],
)
def test_a_new_connection_walks_the_input_chain(system, source, port, allowed):
    system.write("/etc/nftables.conf", RULESET)
    why = firewall.refusal(live(system), ipaddress.ip_address(source), port)
    assert (why is None) is allowed, why


def test_a_drop_in_rule_that_cannot_be_read_counts_as_dropping(system):
    system.write(
        "/etc/nftables.conf", RULESET.replace("policy drop", "policy accept").replace("ct state invalid drop\n", "")
    )
    system.write("/etc/nftables.d/50-x.nft", "add rule inet landingzone_filter input meta mark 0x1 drop\n")
    why = firewall.refusal(live(system), ipaddress.ip_address("192.0.2.1"), 22)
    assert "cannot be read to be sure" in why


def test_a_negated_match(system):
    system.write(
        "/etc/nftables.conf",
        "table inet landingzone_filter {\n    chain input {\n"
        "        type filter hook input priority filter; policy accept;\n"
        "        ip saddr != 10.0.0.0/8 tcp dport 22 drop\n    }\n}\n",
    )
    assert firewall.refusal(live(system), ipaddress.ip_address("10.1.1.1"), 22) is None
    assert "drops it" in firewall.refusal(live(system), ipaddress.ip_address("192.0.2.1"), 22)


# ---- pam_faillock and pam_access ------------------------------------------------------------


def tally(*records):
    return b"".join(struct.pack("=52sHHQ", source.encode(), 0, status, int(when)) for source, status, when in records)


PROFILE = (
    "Name: x\nDefault: yes\nPriority: 1024\nAuth-Type: Primary\nAuth:\n"
    "\t[success=1 default=ignore] pam_succeed_if.so quiet user in breakglass:ops\n"
    "\trequisite\tpam_faillock.so preauth\n"
)


def test_a_tally_at_deny_within_the_interval_locks_who_faillock_does_not_skip(system):
    now = time.time()
    (system.root / "var/run/faillock").mkdir(parents=True)
    failures = tally(*[("192.0.2.66", 0x3, now - 60)] * 5)
    (system.root / "var/run/faillock/admin2").write_bytes(failures)
    (system.root / "var/run/faillock/ops").write_bytes(failures)
    system.write("/etc/security/faillock.conf", "deny = 5\nfail_interval = 900\n")
    system.write("/etc/pam.d/sudo", "@include common-auth\n")
    system.write("/etc/pam.d/common-auth", "auth requisite pam_faillock.so preauth\nauth required pam_unix.so\n")

    path, why = pam.faillock_problem(make_host(system), live(system), "sudo", "admin2", now=now)
    assert path == "/etc/pam.d/common-auth" and "5 failed attempts" in why and "192.0.2.66" in why

    # Staged profile that skips ops: what pam-auth-update will write instead.
    host = make_host(system)
    host.tx.current = "LZ-PAM-015"
    host.tx.stage_text("/usr/share/pam-configs/landingzone-faillock-preauth", PROFILE)
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.view import StagedView

    assert pam.faillock_problem(host, StagedView(host), "sudo", "ops", now=now) is None
    assert pam.faillock_problem(host, StagedView(host), "sudo", "admin2", now=now)[0].endswith("preauth")


def test_old_or_invalid_failures_do_not_count(system):
    now = time.time()
    (system.root / "var/run/faillock").mkdir(parents=True)
    (system.root / "var/run/faillock/admin2").write_bytes(
        tally(*[("192.0.2.66", 0x3, now - 3600)] * 5, *[("192.0.2.66", 0x2, now)] * 5)
    )
    system.write("/etc/security/faillock.conf", "deny = 5\n")
    system.write("/etc/pam.d/sudo", "auth requisite pam_faillock.so preauth\n")
    assert pam.faillock_problem(make_host(system), live(system), "sudo", "admin2", now=now) is None


def test_pam_access_first_match_with_except_and_origins(system):
    system.write("/etc/pam.d/sshd", "account required pam_access.so\n")
    system.write("/etc/security/access.conf", "+:(sudo):10.20.0.0/16\n-:ALL EXCEPT root:ALL\n")
    ops = account()
    assert (
        pam.access_problem(live(system), "sshd", ops, {"addr": ipaddress.ip_address("10.20.1.1"), "tty": None}) is None
    )
    assert pam.access_problem(live(system), "sshd", ops, {"addr": ipaddress.ip_address("192.0.2.1"), "tty": None})
    assert pam.access_problem(live(system), "login", ops, {"addr": None, "tty": "tty1"}) is None  # not in login's stack


# ---- shadow expiry, in pam_unix's own terms ---------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expired"),
    [
        ({2: str(TODAY), 4: "365"}, ""),
        ({2: str(TODAY - 400), 4: "365"}, "must be changed"),
        ({2: str(TODAY - 400), 4: "365", 6: "30"}, "locked"),
        ({2: "0"}, "next login"),
        ({2: str(TODAY), 7: str(TODAY)}, "expired"),
        ({2: "", 4: "1"}, ""),
    ],
)
def test_expiry_as_pam_unix_sees_it(fields, expired):
    row = ["x", "$y$h", "", "0", "99999", "7", "", "", ""]
    for index, value in fields.items():
        row[index] = value
    problem = accounts.expiry_problem(account(shadow=row), TODAY)
    assert (expired in problem and bool(problem)) if expired else problem == ""


# ---- the session ------------------------------------------------------------------------------


def test_session_from_ssh_connection_and_ssh_client():
    full = session.parse(session._from_environ({"SSH_CONNECTION": "10.20.0.9 50022 10.20.0.5 2222"}))
    assert (str(full.client), full.server_port, str(full.server)) == ("10.20.0.9", 2222, "10.20.0.5")
    short = session.parse(session._from_environ({"SSH_CLIENT": "10.20.0.9 50022 2222"}))
    assert short.server_port == 2222 and short.server is None
    assert session.parse(session._from_environ({})) is None
