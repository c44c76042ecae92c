"""How handlers edit files they share with the system: sections, quoting, the main sshd_config."""

from __future__ import annotations

from pathlib import Path

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandRunner
from engine_harness import OK, control, run

JOURNALD = {"path": "/etc/systemd/journald.conf", "key": "Storage", "value": "persistent", "separator": "=",
            "section": "Journal", "service": "systemd-journald"}  # fmt: skip


def test_config_key_goes_into_its_ini_section_and_restarts_the_service(system):
    system.write("/etc/systemd/journald.conf", "[Journal]\n#Storage=auto\nCompress=yes\n\n[Other]\nStorage=volatile\n")

    report, _ = run(system, [control("config_key", JOURNALD)])

    assert report["results"][0]["status"] == "fixed"
    assert system.read("/etc/systemd/journald.conf") == (
        "[Journal]\n#Storage=auto\nCompress=yes\nStorage=persistent\n\n[Other]\nStorage=volatile\n"
    )
    assert ["systemctl", "restart", "systemd-journald"] in system.calls


def test_config_key_adds_a_missing_section(system):
    system.write("/etc/systemd/journald.conf", "# defaults\n")
    run(system, [control("config_key", JOURNALD)])
    assert system.read("/etc/systemd/journald.conf") == "# defaults\n[Journal]\nStorage=persistent\n"


def test_config_key_collapses_duplicates_to_one_line(system):
    system.write("/etc/login.defs", "PASS_MAX_DAYS 99999\nUID_MIN 1000\nPASS_MAX_DAYS 365\n")
    report, _ = run(system, [control("config_key", {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365})])
    assert report["results"][0]["status"] == "fixed"
    assert system.read("/etc/login.defs") == "PASS_MAX_DAYS 365\nUID_MIN 1000\n"


def test_sudo_values_with_spaces_are_quoted(system):
    run(system, [control("sudo_default", {"option": "lecture_file", "value": "/etc/sudo lecture"})])
    assert 'Defaults lecture_file="/etc/sudo lecture"' in system.read("/etc/sudoers.d/00-landingzone")


def test_sshd_main_config_setting_the_option_first_is_disabled(system):
    system.write("/etc/ssh/sshd_config", "PermitRootLogin yes\nPort 22\n")

    report, _ = run(system, [control("sshd_option", {"option": "PermitRootLogin", "value": "no"})])

    assert report["results"][0]["status"] == "fixed"
    assert system.read("/etc/ssh/sshd_config") == (
        "Include /etc/ssh/sshd_config.d/*.conf\n"
        "# disabled by landingzone (/etc/ssh/sshd_config.d/00-landingzone.conf): PermitRootLogin yes\n"
        "Port 22\n"
    )
    assert [p["path"] for p in report["backups"]] == ["/etc/ssh/sshd_config"]


def test_rsyslog_dropin_is_checked_by_rsyslogd_before_restart(system):
    params = {"path": "/etc/rsyslog.d/60-forward.conf", "content": "*.* @@(o)logs.example:6514\n", "service": "rsyslog"}
    run(system, [control("file_content", params)])

    names = [argv[0] for argv in system.calls]
    assert names.index("rsyslogd") < system.calls.index(["systemctl", "restart", "rsyslog"])


def test_file_permission_with_no_matching_file_passes(system):
    report, _ = run(system, [control("file_permission", {"path": "/etc/cron.allow", "mode": "0640"})])
    assert report["results"][0]["status"] == "pass"
    assert report["results"][0]["evidence"]["found"] == {"files": []}


def test_file_permission_only_removes_bits(system):
    system.write("/etc/cron.d/job", "", 0o604)
    run(system, [control("file_permission", {"path": "/etc/cron.d/*", "mode": "0640"})])
    assert oct((system.root / "etc/cron.d/job").stat().st_mode & 0o7777) == oct(0o600)


def test_real_runner_reports_exit_codes_and_missing_commands():
    runner = CommandRunner(timeout=10)
    assert runner.run(["true"]).ok
    assert runner.run(["sh", "-c", "echo nope >&2; exit 3"]).message() == "nope"
    missing = runner.run(["landingzone-no-such-command"])
    assert missing.rc == 127 and "command not found" in missing.stderr


def test_rsyslog_dropin_is_checked_within_the_whole_configuration(system):
    """rsyslogd -N1 sees the main file, the other drop-ins and the candidate in its
    place: a drop-in alone has no actions and would always be refused."""
    system.write("/etc/rsyslog.conf", 'module(load="imuxsock")\n$IncludeConfig /etc/rsyslog.d/*.conf\n')
    system.write("/etc/rsyslog.d/10-other.conf", "*.* /var/log/other.log\n")
    system.write("/etc/rsyslog.d/60-forward.conf", "# the old forwarding\n")
    seen = {}

    def rsyslogd(args, env, stdin):
        main = Path(args[args.index("-f") + 1])
        seen["main"] = main.read_text()
        dropins = main.parent / "rsyslog.d"
        seen["dropins"] = {p.name: p.read_text() for p in dropins.iterdir()}
        return OK

    system._rsyslogd = rsyslogd
    params = {"path": "/etc/rsyslog.d/60-forward.conf", "content": "*.* @@(o)logs.example:6514\n", "service": "rsyslog"}
    report, _ = run(system, [control("file_content", params)])

    assert report["results"][0]["status"] == "fixed"
    assert "$IncludeConfig /etc/rsyslog.d/" not in seen["main"]
    assert seen["main"].startswith('module(load="imuxsock")')
    assert seen["dropins"] == {"10-other.conf": "*.* /var/log/other.log\n", "60-forward.conf": params["content"]}
