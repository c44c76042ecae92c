"""What the linux_baseline catalog relies on beyond the first contract."""

from __future__ import annotations

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.linux_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
    ControlError,
    validate_control,
)
from engine_harness import control, run

FLAG = {"path": "/etc/security/pwquality.conf", "key": "enforce_for_root", "value": "", "separator": ""}


def test_config_key_flag_line_is_written_once_and_then_passes(system):
    system.write("/etc/security/pwquality.conf", "# minlen = 8\nminlen = 14\n")

    first, _ = run(system, [control("config_key", FLAG)])
    again, _ = run(system, [control("config_key", FLAG)], mode="audit")

    assert first["results"][0]["status"] == "fixed"
    assert system.read("/etc/security/pwquality.conf") == "# minlen = 8\nminlen = 14\nenforce_for_root\n"
    assert again["results"][0]["status"] == "pass"


def test_config_key_creates_a_missing_dropin_with_its_section(system):
    params = {"path": "/etc/systemd/coredump.conf.d/60-landingzone.conf", "key": "Storage", "value": "none",
              "separator": "=", "section": "Coredump", "mode": "0644"}  # fmt: skip
    report, _ = run(system, [control("config_key", params)])

    assert report["results"][0]["status"] == "fixed"
    assert system.read(params["path"]) == "[Coredump]\nStorage=none\n"


@pytest.mark.parametrize("option", ["!visiblepw", "!rootpw", "!pwfeedback"])
def test_negated_sudo_defaults_replace_the_plain_form(system, option):
    bare = option[1:]
    system.write("/etc/sudoers.d/00-landingzone", f"Defaults use_pty\nDefaults {bare}\n", 0o440)

    report, _ = run(system, [control("sudo_default", {"option": option})])
    again, _ = run(system, [control("sudo_default", {"option": option})], mode="audit")

    assert report["results"][0]["status"] == "fixed"
    assert system.read("/etc/sudoers.d/00-landingzone") == f"Defaults use_pty\nDefaults {option}\n"
    assert again["results"][0]["status"] == "pass"


def test_negated_sudo_default_takes_no_value():
    with pytest.raises(ControlError, match="params.value: a negated option takes no value"):
        validate_control(control("sudo_default", {"option": "!visiblepw", "value": "1"}))
    with pytest.raises(ControlError, match="params.option"):
        validate_control(control("sudo_default", {"option": "!!visiblepw"}))


def test_secret_file_content_travels_in_secret_params():
    key = control(
        "file_content", {"path": "/etc/ssl/private/landingzone-log-client.key", "content": "KEYDATA\n"}, "LZ-LOG-010"
    )
    banner = control("file_content", {"path": "/etc/issue.net", "content": "Authorised use only\n"}, "LZ-BAN-001")

    args, _ = prepare({"controls": [key, banner], "mode": "apply"}, [], "h")

    assert "content" not in args["controls"][0]["params"]
    assert args["secret_params"] == {"LZ-LOG-010": {"content": "KEYDATA\n"}}
    assert args["controls"][1]["params"]["content"] == "Authorised use only\n"


def test_unit_skipped_by_its_conditions_is_not_applicable(system):
    system.units["chrony.service"] = {"enabled": "enabled", "active": "inactive", "condition": "no"}

    report, _ = run(system, [control("service", {"name": "chrony", "enabled": True, "state": "started"})])

    assert report["results"][0]["status"] == "not_applicable"
    assert "unit conditions fail" in report["results"][0]["reason"]
    assert ["systemctl", "start", "chrony.service"] not in system.calls


def test_unit_systemd_never_tried_to_start_is_started(system):
    # Its ConditionResult reads no as well, but without a timestamp: nothing was skipped.
    system.units["chrony.service"] = {"enabled": "enabled", "active": "inactive", "condition": "never"}

    report, _ = run(system, [control("service", {"name": "chrony", "enabled": True, "state": "started"})])

    assert report["results"][0]["status"] == "fixed"
    assert ["systemctl", "start", "chrony.service"] in system.calls


def test_kernel_cmdline_change_needs_update_grub_and_a_reboot(system):
    system.write("/boot/grub/grub.cfg", "# written by update-grub\n")
    system.write("/proc/cmdline", "root=UUID=abc ro quiet\n")
    controls = [
        control("kernel_cmdline", {"name": "audit", "value": 1}, "LZ-AUD-001"),
        control("kernel_cmdline", {"name": "audit_backlog_limit", "value": 8192}, "LZ-AUD-002"),
    ]
    report, _ = run(system, controls)

    assert [r["status"] for r in report["results"]] == ["fixed", "fixed"]
    assert report["reboot_required"] is True
    assert system.read("/etc/default/grub.d/60-landingzone.cfg").splitlines()[1] == (
        'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX audit=1 audit_backlog_limit=8192"'
    )
    assert system.calls.count(["update-grub"]) == 1


def test_kernel_cmdline_on_a_host_not_booted_by_grub_is_not_applicable_and_writes_nothing(system):
    # A VM started with its kernel and command line given from outside (qemu -kernel -append).
    system.write("/proc/cmdline", "root=/dev/vda rw console=ttyS0\n")
    apparmor_on = control("kernel_cmdline", {"name": "apparmor", "value": 1}, "LZ-MAC-002")

    predicted, _ = run(system, [apparmor_on], check_mode=True)
    report, _ = run(system, [apparmor_on])

    for record in (predicted["results"][0], report["results"][0]):
        assert record["status"] == "not_applicable"
        assert record["reason"].startswith("this host does not boot through GRUB (no /boot/grub/grub.cfg)")
        assert record["changed"] is False and record["reboot_required"] is False
    assert system.read("/etc/default/grub.d/60-landingzone.cfg") is None
    assert system.mutating_calls() == []


def test_kernel_cmdline_in_a_container_is_not_applicable(system):
    system.write("/proc/cmdline", "root=UUID=abc ro\n")
    report, _ = run(system, [control("kernel_cmdline", {"name": "audit", "value": 1})], host_kind="container")

    assert report["results"][0]["status"] == "not_applicable"
    assert report["results"][0]["reboot_required"] is False
    assert ["update-grub"] not in system.calls
