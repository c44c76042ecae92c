"""The commit: validation gates every replace, backups are made, rollback restores byte for byte."""

from __future__ import annotations

import json
import os
import stat

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.rollback import rollback
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from engine_harness import control, make_host, run

DROPIN = "/etc/ssh/sshd_config.d/00-landingzone.conf"


def sshd_controls():
    return [
        control("sshd_option", {"option": "PermitRootLogin", "value": "no"}, "LZ-SSH-001"),
        control("sshd_option", {"option": "MaxAuthTries", "value": 4}, "LZ-SSH-002"),
    ]


def test_failed_validation_keeps_the_old_file_and_reports_the_validator(system):
    system.write(DROPIN, "PermitRootLogin prohibit-password\n", 0o600)
    system.fail["sshd"] = CommandResult(255, "", "line 2: Bad configuration option: MaxAuthTries4")

    report, _ = run(system, sshd_controls())

    assert system.read(DROPIN) == "PermitRootLogin prohibit-password\n"
    assert [r["status"] for r in report["results"]] == ["error", "error"]
    assert all("Bad configuration option" in r["reason"] for r in report["results"])
    assert all(r["changed"] is False for r in report["results"])
    assert not any(argv[0] == "systemctl" for argv in system.calls), "no reload after a failed validation"
    assert report["failed"] is True and report["backups"] == []


def test_validation_sees_the_candidate_before_the_main_config(system):
    seen = {}

    def sshd(argv, env=None, stdin=None):
        with open(argv[-1]) as handle:
            seen["config"] = handle.read()
        return CommandResult(0, "", "")

    system._sshd = lambda args, env, stdin: sshd(["sshd", *args])
    run(system, sshd_controls())

    candidate, include = seen["config"].rsplit("Include ", 1)
    assert "PermitRootLogin no" in candidate and "MaxAuthTries 4" in candidate
    assert include.strip() == str(system.root / "etc/ssh/sshd_config")


def test_one_file_and_one_reload_for_many_controls(system):
    report, _ = run(system, sshd_controls())

    assert [r["status"] for r in report["results"]] == ["fixed", "fixed"]
    assert system.read(DROPIN).splitlines()[1:] == ["PermitRootLogin no", "MaxAuthTries 4"]
    assert stat.S_IMODE(os.stat(system.root / DROPIN.lstrip("/")).st_mode) == 0o600
    reloads = [argv for argv in system.calls if argv[:2] == ["systemctl", "try-reload-or-restart"]]
    assert reloads == [["systemctl", "try-reload-or-restart", "ssh.service"]]
    assert [argv[0] for argv in system.calls].index("sshd") < system.calls.index(reloads[0])


def test_visudo_rejection_leaves_sudoers_untouched(system):
    system.fail["visudo"] = CommandResult(1, "", "syntax error near line 2")
    report, _ = run(system, [control("sudo_default", {"option": "use_pty"})])

    assert report["results"][0]["status"] == "error"
    assert "visudo -c rejected the candidate: syntax error near line 2" in report["results"][0]["reason"]
    assert system.read("/etc/sudoers.d/00-landingzone") is None


def test_replaced_files_keep_mode_and_owner(system):
    os.chmod(system.root / "etc/login.defs", 0o640)
    run(system, [control("config_key", {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365})])

    assert stat.S_IMODE(os.stat(system.root / "etc/login.defs").st_mode) == 0o640
    assert "PASS_MAX_DAYS 365" in system.read("/etc/login.defs")


def test_backups_are_dated_copies_and_rollback_restores_byte_for_byte(system):
    original_login_defs = (system.root / "etc/login.defs").read_bytes()
    os.chmod(system.root / "etc/ssh/sshd_config", 0o644)
    controls = [
        control("config_key", {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365}, "LZ-ACC-001"),
        control("sshd_option", {"option": "PermitRootLogin", "value": "no"}, "LZ-SSH-001"),
        control("file_permission", {"path": "/etc/ssh/sshd_config", "mode": "0600"}, "LZ-FILE-001"),
    ]

    report, _ = run(system, controls, run_id="run-1")

    backup = system.root / "var/backups/landingzone/run-1/etc/login.defs"
    assert report["run_id"] == "run-1"
    assert report["backups"] == [{"path": "/etc/login.defs", "backup": "/var/backups/landingzone/run-1/etc/login.defs"}]
    assert backup.read_bytes() == original_login_defs
    manifest = json.loads((system.root / "var/backups/landingzone/run-1/manifest.json").read_text())
    assert manifest["created"] == [DROPIN]
    assert manifest["metadata"][0]["path"] == "/etc/ssh/sshd_config" and manifest["metadata"][0]["mode"] == 0o644
    assert stat.S_IMODE(os.stat(system.root / "etc/ssh/sshd_config").st_mode) == 0o600
    system.calls.clear()

    records = rollback(make_host(system, run_id="run-2"), "run-1")

    assert (system.root / "etc/login.defs").read_bytes() == original_login_defs
    assert not (system.root / DROPIN.lstrip("/")).exists()
    assert stat.S_IMODE(os.stat(system.root / "etc/ssh/sshd_config").st_mode) == 0o644
    assert {r["id"]: r["status"] for r in records} == {
        "/etc/login.defs": "fixed",
        DROPIN: "fixed",
        "/etc/ssh/sshd_config": "fixed",
    }
    assert ["systemctl", "try-reload-or-restart", "ssh.service"] in system.calls
    # The rollback is itself a run with backups: it can be undone as well.
    assert (system.root / "var/backups/landingzone/run-2/etc/login.defs").read_text().count("PASS_MAX_DAYS 365") == 1


def test_rollback_in_check_mode_changes_nothing(system):
    run(system, [control("config_key", {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365})], run_id="r1")
    changed = system.read("/etc/login.defs")

    records = rollback(make_host(system, check_mode=True), "r1")

    assert records[0]["status"] == "fail" and records[0]["changed"] is True
    assert system.read("/etc/login.defs") == changed


def test_apply_without_changes_makes_no_backup_dir(system):
    system.write("/etc/login.defs", "UID_MIN 1000\nPASS_MAX_DAYS 365\n")
    report, _ = run(
        system, [control("config_key", {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365})], run_id="r0"
    )

    assert report["results"][0]["status"] == "pass"
    assert report["changed"] is False
    assert not (system.root / "var/backups/landingzone/r0").exists()


def test_a_broken_control_is_an_error_and_the_others_still_run(system):
    controls = [
        control("file_content", {"path": "/etc/x", "content": "x\n", "owner": "nosuchuser"}, "LZ-X-001"),
        control("config_key", {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365}, "LZ-X-002"),
    ]
    report, _ = run(system, controls)

    assert report["results"][0]["status"] == "error"
    assert report["results"][0]["reason"] == "no user 'nosuchuser' in /etc/passwd"
    assert report["results"][1]["status"] == "fixed"
    assert report["summary"]["error"] == 1 and report["summary"]["fixed"] == 1
