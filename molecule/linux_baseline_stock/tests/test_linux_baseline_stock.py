"""The baseline on a stock Debian server: what the first apply did, that the second changed
nothing, and that the administrator still logs in over real SSH and becomes root with its
password afterwards."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from stock_access import become_password, login_and_become

EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
LEVEL = os.environ.get("LZ_STOCK_LEVEL") or "essential"
# What a container cannot change: a live kernel setting, the audit subsystem, a remount, a
# unit systemd skips there for its own conditions (chrony without CAP_SYS_TIME).
CONTAINER_LIMITS = ("container", "/proc/sys", "this kernel has no", "reboot", "systemd skips it")


def name_of(host):
    return host.backend.get_hostname()


def applied(host, number):
    return json.loads((EPHEMERAL / "results" / f"{name_of(host)}-apply-{number}.json").read_text())


@pytest.fixture(scope="module")
def first(host):
    return applied(host, 1)


@pytest.fixture(scope="module")
def second(host):
    return applied(host, 2)


def test_the_first_apply_ends_without_an_error(first):
    errors = {r["id"]: r["reason"] for r in first["results"] if r["status"] == "error"}
    assert not errors
    assert first["failed"] is False


def test_the_only_failures_are_controls_held_back_with_their_reason(first):
    failing = [r for r in first["results"] if r["status"] == "fail"]
    assert all("held back" in r["reason"] for r in failing), {r["id"]: r["reason"] for r in failing}


def test_the_second_apply_changes_nothing(first, second):
    assert second["changed"] is False
    assert not [r["id"] for r in second["results"] if r["changed"]]
    assert {r["id"]: r["status"] for r in second["results"] if r["status"] in ("fail", "error")} == {
        r["id"]: r["status"] for r in first["results"] if r["status"] in ("fail", "error")
    }


def test_missing_packages_were_installed_and_unwanted_ones_stay_away(host, first):
    for result in first["results"]:
        # A package control kept off containers (AppArmor's) is not_applicable and saw nothing.
        if result["type"] != "package" or result["status"] == "not_applicable":
            continue
        for name, state in result["evidence"]["expected"].items():
            assert host.package(name).is_installed is (state == "installed"), name
    assert host.package("cron").is_installed and host.package("rsyslog").is_installed


def test_what_a_container_cannot_change_is_not_applicable_with_its_reason(first):
    limits = [r for r in first["results"] if r["status"] == "not_applicable"]
    assert limits
    for result in limits:
        assert any(word in result["reason"] for word in CONTAINER_LIMITS) or result["reason"].startswith(
            "applies to"
        ), (result["id"], result["reason"])


def test_the_controls_a_stock_host_broke_now_pass(host, second):
    by_id = {r["id"]: r for r in second["results"]}
    for control_id in ("LZ-SVC-002", "LZ-SSH-013", "LZ-SSH-035"):
        assert by_id[control_id]["status"] == "pass", by_id[control_id]["reason"]
    if LEVEL != "basic":
        for control_id in ("LZ-LOG-007", "LZ-PERM-024"):
            assert by_id[control_id]["status"] == "pass", by_id[control_id]["reason"]
    # rsyslog kept its own configuration; the baseline added its key to it.
    if LEVEL != "basic":
        assert "$FileCreateMode 0640" in host.file("/etc/rsyslog.conf").content_string
        assert host.run("rsyslogd -N1").rc == 0
    assert host.file("/etc/cron.allow").group == "crontab" if LEVEL != "basic" else True


def test_the_sudo_login_and_home_gaps_debian_leaves_are_closed(host, first, second):
    by_id = {r["id"]: r for r in first["results"]}
    # Debian ships every one of these open: the first apply fixed them, the second found them right.
    opened = ["LZ-ACC-018", "LZ-ACC-022", "LZ-SUDO-011", "LZ-SUDO-012"]
    if LEVEL == "basic":
        opened = ["LZ-ACC-018"]
    assert {cid: by_id[cid]["status"] for cid in opened} == dict.fromkeys(opened, "fixed")
    assert {r["id"]: r["status"] for r in second["results"] if r["id"] in opened} == dict.fromkeys(opened, "pass")
    # The system-wide profile has the last word over a umask set before it.
    assert host.check_output("env -i sh -c 'umask 022; . /etc/profile; umask'") == "0027"
    if LEVEL == "basic":
        return
    # sudo itself, not only our file, applies ignore_dot (a later drop-in could undo it), and the
    # engine judged every sudo default by what the real sudo lists.
    assert "ignore_dot" in host.check_output("sudo -n -l -U operator")
    defaults = [r for r in second["results"] if r["type"] == "sudo_default"]
    assert {r["evidence"]["found"]["judged_by"] for r in defaults} == {"sudo -l -U root"}
    assert {r["status"] for r in defaults} == {"pass"}
    assert host.file("/etc/sudoers.d").mode == 0o750
    assert host.run("visudo -c").rc == 0
    assert host.file("/home/operator").mode & 0o027 == 0
    assert host.file("/home/operator/.profile").mode & 0o022 == 0
    assert host.file("/root").mode == 0o700


def test_the_operator_group_was_made_with_the_administrator_in_it(host):
    group = host.check_output("getent group lz-operators").split(":")
    assert "operator" in group[3].split(",")
    assert int(group[2]) < 1000  # a system group


def test_sudo_is_closed_to_group_sudo_for_good_and_to_everyone_outside_it(host, first, second):
    if LEVEL != "essential":  # an essential control: below it, sudo stays open to all
        assert "LZ-SUDO-013" not in {r["id"] for r in first["results"]}
        assert host.check_output("stat -c '%a' /usr/bin/sudo") == "4755"
        return
    assert {r["id"]: r["status"] for r in first["results"] if r["id"] == "LZ-SUDO-013"} == {"LZ-SUDO-013": "fixed"}
    assert {r["id"]: r["status"] for r in second["results"] if r["id"] == "LZ-SUDO-013"} == {"LZ-SUDO-013": "pass"}
    assert host.check_output("stat -c '%a %U %G' /usr/bin/sudo") == "4750 root sudo"
    # dpkg gives the next sudo package the same mode when it unpacks it.
    assert host.check_output("dpkg-statoverride --list /usr/bin/sudo") == "root sudo 4750 /usr/bin/sudo"
    assert host.check_output("readlink -f /usr/bin/sudoedit") == "/usr/bin/sudo"
    # An account outside group sudo, even with a sudoers rule of its own, cannot start sudo or sudoedit.
    rule = "/etc/sudoers.d/zz-test-outsider"
    host.check_output(
        "useradd --create-home --shell /bin/bash outsider && "
        f"echo 'outsider ALL=(ALL:ALL) NOPASSWD: ALL' > {rule} && chmod 0440 {rule}"
    )
    try:
        for command in ("sudo -n id -u", "sudoedit -n /etc/hostname"):
            denied = host.run(f"runuser -u outsider -- {command}")
            assert denied.rc != 0 and "Permission denied" in denied.stderr, (command, denied.stdout, denied.stderr)
        assert host.check_output("runuser -u outsider -g outsider -G sudo -- sudo -n id -u") == "0"
    finally:
        host.check_output(f"rm -f {rule} && userdel --remove outsider")


def test_the_administrator_still_logs_in_and_becomes_root_with_its_password(host):
    address = host.check_output("hostname -I").split()[0]
    logged_in, became_root = login_and_become(EPHEMERAL / "operator_ed25519", "operator", address, become_password())
    assert logged_in and became_root


def test_systemd_runs_clean_nothing_failed_where_it_cannot_run(host):
    # auditd cannot run in a container; LZ-AUDIT-072 lets systemd skip it instead of failing it.
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state == "running", host.run("systemctl --failed --no-legend").stdout


def test_the_commit_was_confirmed_and_the_revert_disarmed(host, first):
    confirm = first["commit_confirmed"]
    assert confirm["confirmed"] is True and not confirm.get("reverted")
    assert host.run(f"systemctl is-active {confirm['unit']}.timer").stdout.strip() != "active"
