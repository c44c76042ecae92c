"""A stock host lacks what the baseline configures: packages first, then their files, groups and units."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from engine_harness import control, run

RSYSLOG_CONF = 'module(load="imuxsock")\n*.* /var/log/syslog\n'
CRON_ALLOW = control(
    "file_content",
    {"path": "/etc/cron.allow", "content": "root\n", "mode": "0640", "group": "crontab"},
    "LZ-PERM-024",
)
RSYSLOG = control("package", {"name": ["rsyslog"]}, "LZ-LOG-005")
CRON = control("package", {"name": ["cron"]}, "LZ-SVC-019")
CREATE_MODE = control(
    "config_key", {"path": "/etc/rsyslog.conf", "key": "$FileCreateMode", "value": "0640"}, "LZ-LOG-007"
)


def test_a_packages_own_file_is_edited_as_the_package_ships_it(system):
    system.shipped["rsyslog"] = {"/etc/rsyslog.conf": RSYSLOG_CONF}
    # The file's control comes first in the catalog; the package is still installed before it is checked.
    report, _ = run(system, [CREATE_MODE, RSYSLOG])

    assert [r["status"] for r in report["results"]] == ["fixed", "fixed"]
    assert system.read("/etc/rsyslog.conf") == RSYSLOG_CONF + "$FileCreateMode 0640\n"
    assert [argv[1] for argv in system.calls if argv[0] == "apt-get"] == ["install"]


def test_a_group_that_comes_with_a_package(system):
    system.shipped["cron"] = {"/etc/group": system.read("/etc/group") + "crontab:x:101:\n"}

    predicted, _ = run(system, [CRON_ALLOW, CRON], check_mode=True)
    assert [r["status"] for r in predicted["results"]] == ["fail", "fail"]
    assert [r["changed"] for r in predicted["results"]] == [True, True]
    assert "no group 'crontab' in /etc/group yet; it may come with cron" in predicted["results"][0]["reason"]

    applied, _ = run(system, [CRON_ALLOW, CRON])
    assert [r["status"] for r in applied["results"]] == ["fixed", "fixed"]
    assert system.read("/etc/cron.allow") == "root\n"


def test_without_the_package_the_missing_group_is_an_error_in_apply(system):
    report, _ = run(system, [CRON_ALLOW])
    assert report["results"][0]["status"] == "error"
    assert report["results"][0]["reason"] == "no group 'crontab' in /etc/group"


def systemctl_changes(system):
    """The systemctl commands the run sent that change something (not the questions it asked)."""
    return [argv for argv in system.calls if argv[0] == "systemctl" and argv[1] not in ("is-enabled", "is-active")]


def test_a_unit_drop_in_is_read_by_systemd_before_its_service_restarts(system):
    drop_in = control(
        "file_content",
        {
            "path": "/etc/systemd/system/auditd.service.d/60-landingzone-container.conf",
            "content": "[Unit]\nConditionVirtualization=!container\n",
            "service": "auditd.service",
        },
        "LZ-AUDIT-072",
    )
    report, _ = run(system, [drop_in], host_kind="container")

    assert report["results"][0]["status"] == "fixed"
    assert systemctl_changes(system) == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "reset-failed", "auditd.service"],
        ["systemctl", "restart", "auditd.service"],
    ]


AUDIT_RULES_DROP_IN = {
    "path": "/etc/systemd/system/audit-rules.service.d/60-landingzone-container.conf",
    "content": "[Unit]\nConditionVirtualization=!container\n",
    "service": "audit-rules.service",
}


def test_a_drop_in_for_a_unit_the_release_lacks_is_written_but_restarts_nothing(system):
    # Debian 12 has no audit-rules.service: resetting or restarting it would fail the control.
    system.units["audit-rules.service"] = {"enabled": "not-found", "active": "inactive"}
    report, _ = run(system, [control("file_content", AUDIT_RULES_DROP_IN, "LZ-AUDIT-073")], host_kind="container")

    assert report["results"][0]["status"] == "fixed"
    assert system.read(AUDIT_RULES_DROP_IN["path"]).endswith("ConditionVirtualization=!container\n")
    assert systemctl_changes(system) == [["systemctl", "daemon-reload"]]


def test_a_unit_file_the_control_writes_itself_is_restarted_though_missing_before(system):
    system.units["landingzone-probe.service"] = {"enabled": "not-found", "active": "inactive"}
    unit = {
        "path": "/etc/systemd/system/landingzone-probe.service",
        "content": "[Service]\nExecStart=/bin/true\n",
        "service": "landingzone-probe.service",
    }
    report, _ = run(system, [control("file_content", unit, "LZ-TEST-001")], host_kind="container")

    assert report["results"][0]["status"] == "fixed"
    assert ["systemctl", "restart", "landingzone-probe.service"] in systemctl_changes(system)


def test_a_drop_in_for_a_unit_the_release_has_resets_and_restarts_it(system):
    # Debian 13: the failed rule loader is reset, so systemd is "running", not "degraded".
    system.units["audit-rules.service"] = {"enabled": "enabled", "active": "failed"}
    report, _ = run(system, [control("file_content", AUDIT_RULES_DROP_IN, "LZ-AUDIT-073")], host_kind="container")

    assert report["results"][0]["status"] == "fixed"
    assert systemctl_changes(system) == [
        ["systemctl", "daemon-reload"],
        ["systemctl", "reset-failed", "audit-rules.service"],
        ["systemctl", "restart", "audit-rules.service"],
    ]


def test_a_live_setting_the_containers_kernel_refuses_is_not_applicable_not_an_error(system):
    system.write("/proc/sys/kernel/kptr_restrict", "0\n")
    system.fail["sysctl"] = CommandResult(255, "", "sysctl: permission denied on key 'kernel.kptr_restrict'")
    kptr = control("sysctl", {"key": "kernel.kptr_restrict", "value": 2}, "LZ-SYSCTL-001")

    report, _ = run(system, [kptr], host_kind="container")
    result = report["results"][0]
    assert result["status"] == "not_applicable" and result["changed"] is True
    assert "container's kernel refused" in result["reason"] and "permission denied" in result["reason"]
    assert "kernel.kptr_restrict = 2" in system.read("/etc/sysctl.d/60-landingzone.conf")

    # On a server the same refusal is an error: there it would hide a gap.
    report, _ = run(system, [kptr], host_kind="server")
    assert report["results"][0]["status"] == "error"
