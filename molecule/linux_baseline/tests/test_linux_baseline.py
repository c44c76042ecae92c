"""The Linux baseline on a converged host: one control of every type, drift found and
repaired control by control, and the operator still gets in over SSH and can sudo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", str(EPHEMERAL / "inventory"))
SETTINGS = yaml.safe_load((SCENARIO / "vars" / "baseline.yml").read_text())
ALL_TYPES = {
    "sysctl", "config_key", "sshd_option", "sudo_default", "file_permission", "file_content", "package",
    "service", "kernel_module", "audit_rule", "pam_profile", "account_policy", "local_account",
    "mount_option", "nftables_ruleset", "aide_database", "login_group", "apparmor_profile_mode",
    "apparmor_confined_process", "kernel_cmdline",
}  # fmt: skip
# One hand-made drift per control type that can drift in a container, and the one
# control each must show up as. Nothing else may change.
DRIFTS = {
    "LZ-SSH-015": "sed -i 's/^X11Forwarding no$/X11Forwarding yes/' /etc/ssh/sshd_config.d/00-landingzone.conf",
    "LZ-ACC-001": "sed -i 's/^PASS_MAX_DAYS.*/PASS_MAX_DAYS 99999/' /etc/login.defs",
    "LZ-PERM-010": "chmod 0644 /etc/crontab",
    "LZ-BANNER-002": "echo 'Debian GNU/Linux' > /etc/issue.net",
    "LZ-MOD-009": "sed -i '/ dccp /d; /^blacklist dccp$/d' /etc/modprobe.d/60-landingzone.conf",
    "LZ-SUDO-002": "sed -i '/use_pty/d' /etc/sudoers.d/00-landingzone",
    "LZ-SVC-004": "systemctl unmask --quiet debug-shell.service",
    "LZ-AUDIT-008": "sed -i '\\#^-w /etc/sudoers -p wa -k scope$#d' /etc/audit/rules.d/60-landingzone.rules",
    # Another user made the operator's .bashrc writable; the profile lost its umask line.
    "LZ-ACC-021": "chmod 0666 /home/operator/.bashrc",
    "LZ-ACC-018": "sed -i '/^umask 027$/d' /etc/profile",
}


def name_of(host):
    return host.backend.get_hostname()


def run_baseline(host, tmp_path, *extra):
    """Run converge.yml (the role) on this host only; return its per-control results by id."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / "collections"),
        ANSIBLE_ROLES_PATH=str(PROJECT / "roles"),
        ANSIBLE_CONFIG=str(EPHEMERAL / "ansible.cfg"),
        ANSIBLE_FORCE_COLOR="0",
    )
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i", INVENTORY, "--limit", name_of(host), "-e", f"baseline_results_dir={tmp_path}", *extra,
        str(SCENARIO / "converge.yml"),
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    results = json.loads((tmp_path / f"{name_of(host)}.json").read_text())
    return {result["id"]: result for result in results}


def changed_ids(results):
    return {control_id for control_id, result in results.items() if result["changed"]}


@pytest.fixture(scope="module")
def audit(host, tmp_path_factory):
    return run_baseline(host, tmp_path_factory.mktemp("audit"), "-e", "linux_baseline_mode=audit")


def test_an_audit_after_converge_finds_nothing_to_fix(audit):
    bad = {cid: (r["status"], r["reason"]) for cid, r in audit.items() if r["status"] in ("fail", "error")}
    assert not bad
    assert not changed_ids(audit)


def test_results_are_counted_in_the_card_s_edition_and_cite_both(audit):
    catalog = {
        control["id"]: control
        for path in (PROJECT / "roles" / "linux_baseline" / "controls").glob("*.yml")
        for control in next(iter(yaml.safe_load(path.read_text()).values()))
    }
    assert SETTINGS["linux_baseline_cyfun_edition"] == 2025
    for control_id, result in audit.items():
        control = catalog[control_id]
        assert result["cyfun_edition"] == 2025 and result["level"] == control["level_2025"], control_id
        assert result["cyfun"] == control["cyfun"] and result["cyfun_2025"] == control["cyfun_2025"], control_id
        assert result.get("cis_debian13", []) == control.get("cis_debian13", []), control_id


def test_every_control_type_ran_and_ended_well(audit):
    assert {result["type"] for result in audit.values()} == ALL_TYPES
    for control_type in ALL_TYPES:
        statuses = {r["status"] for r in audit.values() if r["type"] == control_type}
        assert statuses <= {"pass", "not_applicable", "waived"}, control_type


def test_what_a_container_cannot_do_is_reported_not_applicable_with_a_reason(audit):
    # A live kernel value the host already has passes; one it lacks cannot be set from here.
    live_parts = [r for r in audit.values() if r["type"] == "sysctl" and r["status"] == "not_applicable"]
    assert live_parts
    assert all("/proc/sys" in r["reason"] or "this kernel has no" in r["reason"] for r in live_parts)
    assert audit["LZ-AUDIT-001"]["status"] == "not_applicable"
    assert audit["LZ-MNT-001"]["status"] == "not_applicable"
    # AppArmor's policy is the host kernel's: the container neither judges nor loads it.
    for control_id in ("LZ-MAC-004", "LZ-MAC-005"):
        assert audit[control_id]["status"] == "not_applicable", control_id
        assert audit[control_id]["reason"].startswith("a container shares the host's kernel"), control_id
    # Its package and boot line would change nothing in a container: not selected for one.
    assert audit["LZ-MAC-001"]["reason"] == "applies to server, virtual_pc; this host is a container"


def test_waivers_are_reported_with_the_waiver_and_leave_the_file_alone(host, audit):
    assert audit["LZ-BANNER-003"]["status"] == "waived"
    assert audit["LZ-BANNER-003"]["waiver"]["approver"] == "lab"
    assert host.file("/etc/motd").content_string == "Maintenance window: Tuesdays 06:00-08:00 (supplier notice)\n"


def test_auditd_does_not_apply_in_a_container_and_aide_is_initialised(host, audit):
    assert audit["LZ-AUDIT-062"]["status"] == "not_applicable"
    assert "container" in audit["LZ-AUDIT-062"]["reason"]
    assert audit["LZ-INT-003"]["status"] == "pass"
    assert host.file("/var/lib/aide/aide.db").mode == 0o600


def test_switched_off_controls_are_not_run(audit):
    assert not set(SETTINGS["linux_baseline_disabled_controls"]) & set(audit)


# One control of every type, looked at on the host itself.


def test_sshd_option_ssh_runs_keys_only_with_the_operator_group(host):
    effective = host.check_output("sshd -T")
    for line in (
        "passwordauthentication no", "permitrootlogin no", "x11forwarding no", "maxauthtries 4",
        "allowgroups lz-operators", "loglevel VERBOSE", "authenticationmethods publickey",
        "ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com", "disableforwarding yes",
    ):  # fmt: skip
        assert line in effective


# The operator's login as the role describes it to the engine: from the management network.
OPERATOR_LOGIN = "sshd -T -C user=operator,host=10.88.0.1,addr=10.88.0.1,lport=22"


def test_every_sshd_option_is_judged_by_what_sshd_applies_to_the_operator(audit):
    options = {cid: r for cid, r in audit.items() if r["type"] == "sshd_option"}
    assert len(options) >= 29
    for control_id, result in options.items():
        found = result["evidence"]["found"]
        assert (result["status"], found["judged_by"], found["undone_by"]) == ("pass", OPERATOR_LOGIN, []), control_id
        assert list(found["applied"].values()) == [result["evidence"]["expected"]["applied"]], control_id


def test_every_audit_rule_says_only_its_file_was_judged_in_a_container(audit):
    """No audit subsystem in a container: the rules cannot be listed, and each result says so."""
    rules = [r for r in audit.values() if r["type"] == "audit_rule"]
    assert len(rules) >= 40
    for result in rules:
        found = result["evidence"]["found"]
        assert result["status"] == "not_applicable", result["id"]
        assert found["present"] is True and "loaded" not in found, result["id"]
        assert found["judged_by"] == (
            "the rules file only (a container cannot list the kernel's audit rules: no audit subsystem)"
        ), result["id"]


def test_a_drop_in_read_first_and_match_blocks_that_undo_options_fail_naming_their_file(host, tmp_path):
    undoers = {
        # Sorted before ours: sshd keeps the first value it reads.
        "/etc/ssh/sshd_config.d/00-early.conf": "MaxAuthTries 10\n",
        # For other logins (sshd -T for the operator cannot see it) and for the operator's own.
        "/etc/ssh/sshd_config.d/99-vendor.conf": (
            "Match Address 192.0.2.0/24\n    PasswordAuthentication yes\nMatch User operator\n    X11Forwarding yes\n"
        ),
    }
    try:
        for path, text in undoers.items():
            host.check_output(f"printf %b {json.dumps(text)} > {path} && chmod 600 {path}")
        audit = run_baseline(host, tmp_path, "-e", "linux_baseline_mode=audit")
    finally:
        host.check_output(f"rm -f {' '.join(undoers)}")
    expected = {
        "LZ-SSH-011": ("/etc/ssh/sshd_config.d/00-early.conf: MaxAuthTries 10", "10"),
        "LZ-SSH-001": (
            "/etc/ssh/sshd_config.d/99-vendor.conf: Match Address 192.0.2.0/24: PasswordAuthentication yes",
            "no",
        ),
        "LZ-SSH-015": ("/etc/ssh/sshd_config.d/99-vendor.conf: Match User operator: X11Forwarding yes", "yes"),
    }
    for control_id, (named, applied) in expected.items():
        result = audit[control_id]
        assert result["status"] == "fail" and not result["changed"], (control_id, result)
        assert named in result["reason"], result["reason"]
        assert list(result["evidence"]["found"]["applied"].values()) == [applied], control_id
    options = {cid: r for cid, r in audit.items() if r["type"] == "sshd_option"}
    assert {r["evidence"]["found"]["judged_by"] for r in options.values()} == {OPERATOR_LOGIN}
    assert {cid for cid, r in options.items() if r["status"] != "pass"} == set(expected)


def test_sysctl_file_holds_the_kernel_settings(host):
    content = host.file("/etc/sysctl.d/60-landingzone.conf").content_string
    assert "kernel.kptr_restrict = 2" in content
    assert "net.ipv4.ip_forward = 0" in content


def test_config_key_login_defs_and_pwquality(host):
    login_defs = host.check_output("grep -E '^(PASS_MAX_DAYS|ENCRYPT_METHOD|UMASK)\\b' /etc/login.defs")
    assert "YESCRYPT" in login_defs and "027" in login_defs and "365" in login_defs
    assert "minlen = 14" in host.file("/etc/security/pwquality.conf").content_string
    assert "Storage=persistent" in host.file("/etc/systemd/journald.conf.d/60-landingzone.conf").content_string


def test_sudo_default_lines_pass_visudo(host):
    content = host.file("/etc/sudoers.d/00-landingzone").content_string
    assert "Defaults use_pty" in content and "logfile" in content
    assert host.run("visudo -c").rc == 0


def test_sudo_policy_profile_umask_and_homes_hold_as_the_running_system_sees_them(host, audit):
    # sudo's own reading of every sudoers file, not only ours, and the engine asked sudo too.
    assert "ignore_dot" in host.check_output("sudo -n -l -U operator")
    assert audit["LZ-SUDO-011"]["status"] == "pass"
    assert audit["LZ-SUDO-011"]["evidence"]["found"]["judged_by"] == "sudo -l -U root"
    assert host.file("/etc/sudoers.d").mode == 0o750
    assert host.check_output("env -i sh -c 'umask 022; . /etc/profile; umask'") == "0027"
    assert host.file("/home/operator").mode & 0o027 == 0
    assert host.file("/home/operator/.bashrc").mode & 0o022 == 0
    assert host.file("/root").mode == 0o700


def test_file_permission_shadow_and_crontab(host):
    assert host.file("/etc/shadow").mode & 0o137 == 0
    assert host.file("/etc/crontab").mode == 0o600


def test_file_content_banner_and_time_servers(host):
    assert host.file("/etc/issue.net").content_string.startswith("Toegang enkel")
    chrony = host.file("/etc/chrony/chrony.conf").content_string
    assert "server 0.be.pool.ntp.org iburst" in chrony
    assert "pool " not in chrony


def test_file_content_log_forwarding_is_valid_and_its_key_private(host):
    forward = host.file("/etc/rsyslog.d/60-landingzone-forward.conf").content_string
    assert 'target="log-collector.lab.invalid"' in forward
    assert host.run("rsyslogd -N1").rc == 0
    assert host.file("/etc/ssl/private/landingzone-log-client.key").mode == 0o600


def test_package_unwanted_absent_wanted_present(host):
    assert not host.package("telnet").is_installed
    assert not host.package("rsh-client").is_installed
    for wanted in ("chrony", "auditd", "nftables", "unattended-upgrades", "aide-common"):
        assert host.package(wanted).is_installed, wanted


def test_service_masked_and_running(host):
    assert host.run("systemctl is-enabled debug-shell.service").stdout.strip() == "masked"
    assert host.service("ssh").is_running
    assert host.service("rsyslog").is_running


def test_kernel_module_install_line_and_blacklist(host):
    content = host.file("/etc/modprobe.d/60-landingzone.conf").content_string
    assert "install dccp /bin/false" in content and "blacklist dccp" in content


def test_audit_rule_written(host):
    assert "-w /etc/shadow -p wa -k identity" in host.file("/etc/audit/rules.d/60-landingzone.rules").content_string


def test_pam_profile_lockout_skips_the_exempt_accounts(host):
    common_auth = host.file("/etc/pam.d/common-auth").content_string
    assert "pam_faillock.so preauth" in common_auth
    assert "pam_succeed_if.so quiet user in breakglass:operator" in common_auth
    assert "pam_pwhistory.so" in host.file("/etc/pam.d/common-password").content_string


def test_account_policy_only_root_has_uid_0(host):
    assert host.check_output("awk -F: '$3 == 0 {print $1}' /etc/passwd") == "root"


def test_local_account_break_glass_has_the_vault_password_and_sudo(host):
    # And the group sudo is closed to, so that closing it never takes sudo from break-glass.
    assert {"sudo", "lz-operators"} <= set(host.user("breakglass").groups)
    shadow_hash = host.check_output("getent shadow breakglass | cut -d: -f2")
    assert shadow_hash == SETTINGS["linux_baseline_breakglass_password_hash"]


def test_mount_option_tmp_and_shm_in_fstab(host):
    fstab = host.file("/etc/fstab").content_string
    assert "tmpfs /tmp tmpfs defaults,nodev,nosuid,noexec 0 0" in fstab
    assert "/dev/shm tmpfs defaults,nodev,nosuid,noexec" in fstab


def test_nftables_ruleset_loaded_default_deny_ssh_from_management(host):
    ruleset = host.check_output("nft list table inet landingzone_filter")
    assert "policy drop" in ruleset
    assert "ip saddr 10.88.0.0/16 tcp dport 22 accept" in ruleset


def test_aide_database_checked_daily(host):
    assert "aide --config /etc/aide/aide.conf --check" in host.file("/etc/cron.d/landingzone-aide").content_string


# sudo closed to the operator group (LZ-SUDO-013, level essential): applied on its own, then every
# test below runs with it, the operator's SSH login and sudo included.
OUTSIDER_SUDOERS = "/etc/sudoers.d/zz-test-outsider"


def test_sudo_closed_to_the_operator_group_keeps_the_operator_and_shuts_out_everyone_else(host, tmp_path):
    catalog = [
        control["id"]
        for part in sorted((PROJECT / "roles" / "linux_baseline" / "controls").glob("*.yml"))
        for controls in yaml.safe_load(part.read_text()).values()
        for control in controls
    ]
    only_sudo_group = {
        "linux_baseline_level": "essential",
        "linux_baseline_disabled_controls": [cid for cid in catalog if cid != "LZ-SUDO-013"],
    }
    applied = run_baseline(host, tmp_path / "apply", "-e", json.dumps(only_sudo_group))
    assert set(applied) == {"LZ-SUDO-013"}
    assert applied["LZ-SUDO-013"]["status"] == "fixed", applied["LZ-SUDO-013"]["reason"]
    assert host.check_output("stat -c '%a %U %G' /usr/bin/sudo") == "4750 root lz-operators"
    assert host.check_output("dpkg-statoverride --list /usr/bin/sudo") == "root lz-operators 4750 /usr/bin/sudo"
    assert host.check_output("readlink -f /usr/bin/sudoedit") == "/usr/bin/sudo"
    again = run_baseline(host, tmp_path / "again", "-e", json.dumps(only_sudo_group))
    assert again["LZ-SUDO-013"]["status"] == "pass"

    # An account outside the group, even with a sudoers rule of its own, cannot start sudo or sudoedit.
    host.check_output(
        "useradd --create-home --shell /bin/bash outsider && "
        f"echo 'outsider ALL=(ALL:ALL) NOPASSWD: ALL' > {OUTSIDER_SUDOERS} && chmod 0440 {OUTSIDER_SUDOERS}"
    )
    try:
        for command in ("sudo -n id -u", "sudo -n -u root /bin/sh -c id", "sudoedit -n /etc/hostname"):
            denied = host.run(f"runuser -u outsider -- {command}")
            assert denied.rc != 0 and "Permission denied" in denied.stderr, (command, denied.stdout, denied.stderr)
        # The group is the only door: the same account in it may run sudo.
        assert host.check_output("runuser -u outsider -g outsider -G lz-operators -- sudo -n id -u") == "0"
    finally:
        host.check_output(f"rm -f {OUTSIDER_SUDOERS} && userdel --remove outsider")


# The operator, over real SSH through the host firewall, after the baseline.


def test_operator_logs_in_with_its_key_and_can_sudo(host):
    address = host.check_output("hostname -I").split()[0]
    done = subprocess.run(
        [
            "ssh", "-i", str(EPHEMERAL / "operator_ed25519"), "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
            f"operator@{address}", "id -nG && sudo -n id -u",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    groups, root_uid = done.stdout.split("\n")[:2]
    assert "lz-operators" in groups.split()
    assert root_uid == "0"


# Drift: check mode names exactly the drifted controls, an apply fixes exactly those.


def test_drift_is_reported_and_repaired_control_by_control(host, tmp_path):
    for command in DRIFTS.values():
        host.check_output(command)

    predicted = run_baseline(host, tmp_path / "check", "--check")
    assert changed_ids(predicted) == set(DRIFTS)
    assert {predicted[cid]["status"] for cid in DRIFTS} <= {"fail", "not_applicable"}

    applied = run_baseline(host, tmp_path / "apply")
    assert changed_ids(applied) == set(DRIFTS)
    assert {applied[cid]["status"] for cid in DRIFTS} <= {"fixed", "not_applicable"}

    settled = run_baseline(host, tmp_path / "audit", "-e", "linux_baseline_mode=audit")
    assert not changed_ids(settled)
    assert "x11forwarding no" in host.check_output("sshd -T")
