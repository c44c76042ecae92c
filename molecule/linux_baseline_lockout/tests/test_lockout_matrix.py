"""The lockout matrix over real SSH on one stock container, case by case.

The converge was case A: connected as `admin` (only in group sudo, sudo with a password
from the vault), no operator group, `olduser` with a three-year-old password. The verify
checks it, then rolls the run back and sets up each next case on the same container:
B, sshd on 2222 with linux_baseline_ssh_port left at 22; C, faillock's limit reached for
`admin` from another address. After each apply the operator and the connected
administrator log in afresh and become root, and the results say what was held back or
warned about, and why. D, commit confirmed: a break the checks cannot foresee (a test
hook in sshd's reload denies `admin`) makes the fresh login after the commit fail, and the
host rolls the run back by itself after 30 s. E, sudo closed to lz-operators, which `admin`
joins in the same run: its session lacks the group, so the control is held back naming it;
the next run, over commit confirmed's fresh login, closes sudo to the group, and `olduser`
(group sudo only) can no longer start sudo.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from stock_access import become_password, login_and_become

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", str(EPHEMERAL / "inventory"))
CONTAINER, ADDRESS = "lz-lockout", "10.88.231.77"
THROUGH_PODMAN = [
    "-e", "ansible_connection=containers.podman.podman", "-e", f"ansible_host={CONTAINER}",
    "-e", "ansible_user=root", "-e", "ansible_become=false",
]  # fmt: skip
# What a site that counts failed logins without the baseline has: an authfail profile of
# its own, and no preauth that would lock anyone. Its own limit is ten: at faillock.conf's
# stock three, authfail stops recording, and the tally could never reach the baseline's five.
FAILLOCK_COUNTING = (
    "install -d -m 0755 /run/faillock && "
    "printf 'Name: Count failed logins (site)\\nDefault: yes\\nPriority: 0\\nAuth-Type: Primary\\n"
    "Auth:\\n\\t[default=die]\\tpam_faillock.so authfail deny=10\\n' > /usr/share/pam-configs/site-faillock && "
    "DEBIAN_FRONTEND=noninteractive pam-auth-update --enable site-faillock"
)
WRONG_PASSWORDS = (
    "printf '#!/bin/sh\\necho not-the-password\\n' > /run/wrong-password && chmod 0700 /run/wrong-password && "
    # Until the tally holds five: an attempt that meets sshd while it restarts never reaches PAM.
    "for attempt in 1 2 3 4 5 6 7 8 9 10; do "
    '[ "$(faillock --user admin | grep -c 127.0.0.1)" -ge 5 ] && break; '
    "SSH_ASKPASS=/run/wrong-password SSH_ASKPASS_REQUIRE=force setsid -w ssh "
    "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PreferredAuthentications=password "
    "-o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 admin@127.0.0.1 true </dev/null; done; true"
)
# Test only: the first reload of ssh.service after /run/lz-test-break-ssh appears adds
# `DenyUsers admin` to the drop-in the run has just written, before sshd rereads it. The
# lockout checks saw a candidate that admits admin; only a fresh login can find out.
BREAK_ON_RELOAD = (
    "printf '#!/bin/sh\\nif [ -e /run/lz-test-break-ssh ]; then\\n  rm -f /run/lz-test-break-ssh\\n"
    "  echo DenyUsers admin >> /etc/ssh/sshd_config.d/00-landingzone.conf\\nfi\\n' "
    "> /usr/local/sbin/lz-test-break-ssh && "
    "chmod 0755 /usr/local/sbin/lz-test-break-ssh && install -d /etc/systemd/system/ssh.service.d && "
    "printf '[Service]\\nExecReload=\\nExecReload=/usr/local/sbin/lz-test-break-ssh\\nExecReload=/usr/sbin/sshd -t\\n"
    "ExecReload=/bin/kill -HUP $MAINPID\\n' > /etc/systemd/system/ssh.service.d/zz-lz-test-break.conf && "
    "systemctl daemon-reload && : > /run/lz-test-break-ssh"
)


def ansible(*args, timeout=900):
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / "collections"),
        ANSIBLE_ROLES_PATH=str(PROJECT / "roles"),
        ANSIBLE_CONFIG=str(EPHEMERAL / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / args[0]), "-i", INVENTORY, *args[1:]],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    return done


def results():
    """The newest apply's result."""
    files = (EPHEMERAL / "results").glob(f"{CONTAINER}-apply-*.json")
    files = sorted(files, key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return json.loads(files[-1].read_text())


def apply(*extra):
    ansible("ansible-playbook", *extra, str(SCENARIO / "converge.yml"))
    return results()


def by_id(result):
    return {r["id"]: r for r in result["results"]}


def roll_back(result):
    """Undo a run through podman: the next case starts from the stock host again."""
    args = json.dumps({"mode": "rollback", "rollback_run": result["run_id"]})
    ansible("ansible", CONTAINER, *THROUGH_PODMAN, "-m", "cyberveilig.landingzone.linux_controls", "-a", args)


def keepers_get_in(port=22):
    password = become_password()
    for user in ("admin", "operator"):
        logged_in, became_root = login_and_become(EPHEMERAL / f"{user}_ed25519", user, ADDRESS, password, port)
        assert logged_in, f"{user} cannot log in afresh on port {port}"
        assert became_root, f"{user} cannot become root on port {port}"


# ---- case A: the converge ----------------------------------------------------------------


@pytest.fixture(scope="module")
def case_a():
    return results()


def test_a_connected_admin_only_in_sudo_and_the_operator_keep_ssh_and_sudo(case_a):
    assert case_a["summary"]["error"] == 0
    assert case_a["commit_confirmed"]["confirmed"] is True
    keepers_get_in()


def test_a_sudo_is_closed_to_group_sudo_and_the_confirming_become_went_through_it(host, case_a):
    # admin's session logged in with group sudo: the control applied, and commit confirmed's fresh
    # login became root through the closed sudo.
    assert by_id(case_a)["LZ-SUDO-013"]["status"] == "fixed"
    assert host.check_output("stat -c '%a %U %G' /usr/bin/sudo") == "4750 root sudo"


def test_a_the_missing_operator_group_holds_both_accounts(host):
    members = host.check_output("getent group lz-operators").split(":")[3].split(",")
    assert sorted(members) == ["admin", "operator"]


def test_a_the_stale_admin_is_not_expired_at_once_and_named(host, case_a):
    ageing = by_id(case_a)["LZ-ACC-013"]
    assert ageing["status"] == "fail"
    assert "olduser is left as it is" in ageing["reason"]
    assert host.check_output("getent shadow olduser").split(":")[4] == "99999"
    warnings = by_id(case_a)["LZ-SSH-013"]["evidence"]["warnings"]
    assert any(w.startswith("olduser no longer logs in over SSH") and "AllowGroups" in w for w in warnings)
    assert by_id(case_a)["LZ-SSH-013"]["status"] == "fixed"


def test_a_the_only_failures_are_held_back(case_a):
    failing = {r["id"]: r["reason"] for r in case_a["results"] if r["status"] == "fail"}
    assert set(failing) == {"LZ-ACC-013"}, failing


def test_a_the_become_password_is_used_and_never_written(host, case_a):
    password = become_password()
    # admin has no NOPASSWD rule: the run could only become root with the password.
    assert "NOPASSWD" not in host.check_output("sudo -l -U admin")
    found = host.run(f"grep -rlF -- '{password}' /etc /var /root /home /tmp /run 2>/dev/null")
    assert found.stdout == "", found.stdout
    assert password not in (EPHEMERAL / "ansible.log").read_text()


# ---- case B: sshd on 2222, the variable left at 22 --------------------------------------------


@pytest.fixture(scope="module")
def case_b(host, case_a):
    # Each case starts by rolling the previous one back (module fixtures tear down only at the end).
    roll_back(case_a)
    host.check_output("sed -i 's/^#Port 22$/Port 2222/' /etc/ssh/sshd_config && systemctl restart ssh")
    return apply("-e", "ansible_port=2222")


def test_b_the_session_port_stays_open_and_both_keep_ssh_and_sudo(host, case_b):
    assert case_b["summary"]["error"] == 0
    firewall = by_id(case_b)["LZ-FW-003"]
    assert firewall["evidence"]["expected"]["operator_port"] == 2222
    assert "tcp dport { 22, 2222 } accept" in host.check_output("nft list table inet landingzone_filter")
    keepers_get_in(port=2222)


# ---- case C: faillock reached for the connected admin from another address ---------------------


@pytest.fixture(scope="module")
def case_c(host, case_b):
    roll_back(case_b)
    host.check_output("sed -i 's/^Port 2222$/#Port 22/' /etc/ssh/sshd_config && systemctl restart ssh")
    host.check_output(FAILLOCK_COUNTING)
    attempts = host.run(WRONG_PASSWORDS)
    tally = host.check_output("faillock --user admin")
    common_auth = host.file("/etc/pam.d/common-auth").content_string
    assert tally.count("127.0.0.1") == 5, (tally, attempts.stdout, attempts.stderr, common_auth)
    return apply()


def test_c_faillock_at_its_limit_does_not_lock_out_the_connected_admin(host, case_c):
    assert case_c["summary"]["error"] == 0
    assert host.check_output("faillock --user admin").count("127.0.0.1") == 5
    keepers_get_in()
    warnings = by_id(case_c)["LZ-PAM-015"]["evidence"]["warnings"]
    assert any("admin" in w and "127.0.0.1" in w for w in warnings), warnings


# ---- case D: commit confirmed, against a break the checks cannot foresee ------------------------


@pytest.fixture(scope="module")
def case_d(host, case_c):
    roll_back(case_c)
    host.check_output("faillock --user admin --reset")
    # The roll-back left the stock SSH configuration: whatever case D finds later is the revert's doing.
    assert not host.file("/etc/ssh/sshd_config.d/00-landingzone.conf").exists
    host.check_output(BREAK_ON_RELOAD)
    ansible("ansible-playbook", str(SCENARIO / "confirm.yml"))
    return json.loads((EPHEMERAL / "confirm-result.json").read_text())


def test_d_the_run_failed_because_no_fresh_login_confirmed_it(case_d):
    assert case_d["failed"] is True
    confirm = case_d["commit_confirmed"]
    assert confirm["confirmed"] is False and confirm["reverted"] is True
    assert confirm["seconds"] == 30
    assert "the host rolled the run back" in case_d["msg"]
    assert "/etc/ssh/sshd_config.d/00-landingzone.conf" in confirm["revert"]["restored"]


def test_d_the_results_say_each_fixed_control_was_reverted(case_d):
    reverted = [r for r in case_d["results"] if r["reason"].startswith("reverted:")]
    assert reverted and all(r["status"] == "error" for r in reverted)
    assert not [r for r in case_d["results"] if r["status"] == "fixed"]


def test_d_the_host_has_its_old_configuration_and_both_get_in_again(host, case_d):
    assert not host.file("/run/lz-test-break-ssh").exists  # the break did happen
    assert not host.file("/etc/ssh/sshd_config.d/00-landingzone.conf").exists
    assert "denyusers" not in host.check_output("sshd -T")
    assert host.run("grep -rl 'reverted_at' /var/backups/landingzone").rc == 0
    keepers_get_in()


def test_d_the_revert_timer_is_gone(host, case_d):
    unit = case_d["commit_confirmed"]["unit"]
    assert host.run(f"systemctl is-active {unit}.timer").stdout.strip() != "active"
    assert "reverted" in host.check_output(f"journalctl -u {unit}.service --no-pager -q")


# ---- case E: sudo closed to a group the connected admin joins in the same run -------------------


@pytest.fixture(scope="module")
def case_e(host, case_d):
    # The run adds admin to lz-operators (LZ-SSH-035); the SSH session it runs in logged in without it.
    first = apply("-e", "linux_baseline_sudo_group=lz-operators")
    stat_after_first = host.check_output("stat -c '%a %U %G' /usr/bin/sudo")
    # Commit confirmed's fresh login after that run has the group: the next run comes in with it.
    second = apply("-e", "linux_baseline_sudo_group=lz-operators")
    return first, stat_after_first, second


def test_e_a_session_without_the_group_holds_it_back_naming_admin_and_what_to_do(case_e):
    first, stat_after_first, _ = case_e
    held = by_id(first)["LZ-SUDO-013"]
    assert held["status"] == "fail" and held["changed"] is False
    assert "admin" in held["reason"] and "does not have lz-operators" in held["reason"], held["reason"]
    assert "Log in again" in held["reason"]
    assert stat_after_first == "4755 root root"
    assert by_id(first)["LZ-SSH-035"]["status"] == "fixed"


def test_e_once_the_session_has_the_group_sudo_is_closed_to_it_and_only_it(host, case_e):
    _, _, second = case_e
    assert by_id(second)["LZ-SUDO-013"]["status"] == "fixed", by_id(second)["LZ-SUDO-013"]["reason"]
    assert second["commit_confirmed"]["confirmed"] is True
    assert host.check_output("stat -c '%a %U %G' /usr/bin/sudo") == "4750 root lz-operators"
    keepers_get_in()
    # olduser is in group sudo, which Debian's rule grants, but not in lz-operators: no sudo at all,
    # and the result says so.
    warnings = by_id(second)["LZ-SUDO-013"]["evidence"]["warnings"]
    assert any(w.startswith("olduser can no longer start sudo") for w in warnings), warnings
    for command in ("sudo -n id -u", "sudoedit -n /etc/hostname"):
        denied = host.run(f"runuser -u olduser -- {command}")
        assert denied.rc != 0 and "Permission denied" in denied.stderr, (command, denied.stderr)
