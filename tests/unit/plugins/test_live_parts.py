"""Live settings that cannot change here: persistent part written, not_applicable with the reason."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.engine import Engine
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from engine_harness import control, make_host, run

SYSCTL_FILE = "/etc/sysctl.d/60-landingzone.conf"


def run_read_only_proc(system, controls, check_mode=False):
    host = make_host(system, check_mode=check_mode, host_kind="container")
    host.live_writable = lambda path: False  # what statvfs reports for /proc/sys inside a container
    return Engine(host).run(controls, "apply")


def test_sysctl_in_a_container_writes_the_file_and_is_not_applicable(system):
    system.write("/proc/sys/net/ipv4/ip_forward", "1\n")
    sysctl = control("sysctl", {"key": "net.ipv4.ip_forward", "value": 0})

    predicted = run_read_only_proc(system, [sysctl], check_mode=True)["results"][0]
    result = run_read_only_proc(system, [sysctl])["results"][0]

    for record in (predicted, result):
        assert record["status"] == "not_applicable"
        assert record["reason"] == (
            "live value cannot be set here (read-only /proc/sys in a container); persistent setting in " + SYSCTL_FILE
        )
        assert record["changed"] is True
    assert "net.ipv4.ip_forward = 0" in system.read(SYSCTL_FILE)
    assert not any(argv[0] == "sysctl" for argv in system.calls)


def test_sysctl_later_file_overriding_ours_is_disabled(system):
    system.write("/proc/sys/net/ipv4/ip_forward", "0\n")
    system.write("/etc/sysctl.d/99-local.conf", "net.ipv4.ip_forward=1\nvm.swappiness=10\n")

    report, _ = run(system, [control("sysctl", {"key": "net.ipv4.ip_forward", "value": 0})])

    assert report["results"][0]["status"] == "fixed"
    assert system.read("/etc/sysctl.d/99-local.conf") == (
        f"# disabled by landingzone ({SYSCTL_FILE}): net.ipv4.ip_forward\nvm.swappiness=10\n"
    )


def test_audit_rules_in_a_container_are_written_but_not_loaded(system):
    rule = control("audit_rule", {"rule": "-w /etc/sudoers -p wa -k scope"})
    report, _ = run(system, [rule], host_kind="container")

    assert report["results"][0]["status"] == "not_applicable"
    assert "no audit subsystem in a container" in report["results"][0]["reason"]
    assert "-w /etc/sudoers -p wa -k scope" in system.read("/etc/audit/rules.d/60-landingzone.rules")
    assert not any(argv[0] == "augenrules" for argv in system.calls)


def test_audit_rules_on_a_server_are_loaded_once(system):
    rules = [
        control("audit_rule", {"rule": "-w /etc/sudoers -p wa -k scope"}, "LZ-AUD-001"),
        control("audit_rule", {"rule": "-w /etc/passwd -p wa -k identity"}, "LZ-AUD-002"),
    ]
    report, _ = run(system, rules)

    assert [r["status"] for r in report["results"]] == ["fixed", "fixed"]
    assert system.calls.count(["augenrules", "--load"]) == 1


SHM = {"mountpoint": "/dev/shm", "options": ["nodev", "nosuid", "noexec"]}


def arrange_shm(system):
    system.write("/etc/fstab", "tmpfs /dev/shm tmpfs defaults 0 0\n")
    system.write("/proc/mounts", "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n")


def test_mount_options_in_a_container_update_fstab_only(system):
    arrange_shm(system)
    report, _ = run(system, [control("mount_option", SHM)], host_kind="container")

    assert report["results"][0]["status"] == "not_applicable"
    assert report["results"][0]["reason"] == "no remount in a container; persistent setting in /etc/fstab"
    assert system.read("/etc/fstab") == "tmpfs\t/dev/shm\ttmpfs\tdefaults,nodev,nosuid,noexec\t0\t0\n"
    assert not any(argv[0] == "mount" for argv in system.calls)


def test_failed_remount_on_a_server_means_reboot_required(system):
    arrange_shm(system)
    system.fail["mount"] = CommandResult(32, "", "mount point is busy")
    report, _ = run(system, [control("mount_option", SHM)])

    assert report["results"][0]["status"] == "fixed"
    assert report["results"][0]["reboot_required"] is True
    assert report["reboot_required"] is True
    assert ["mount", "-o", "remount,nodev,nosuid,noexec", "/dev/shm"] in system.calls


def test_missing_separate_filesystem_is_a_fail_for_a_person(system):
    system.write("/etc/fstab", "UUID=abc / ext4 defaults 0 1\n")
    system.write("/proc/mounts", "/dev/sda1 / ext4 rw 0 0\n")
    report, _ = run(system, [control("mount_option", {"mountpoint": "/var/tmp", "options": ["nodev"]})])

    assert report["results"][0]["status"] == "fail"
    assert report["results"][0]["changed"] is False
    assert "needs its own filesystem" in report["results"][0]["reason"]
    assert system.read("/etc/fstab") == "UUID=abc / ext4 defaults 0 1\n"


def test_loaded_kernel_module_is_blacklisted_and_needs_a_reboot(system):
    system.write("/proc/modules", "usb_storage 77824 0 - Live 0x0\n")
    report, _ = run(system, [control("kernel_module", {"name": "usb-storage"})])

    result = report["results"][0]
    assert result["status"] == "fixed" and result["reboot_required"] is True
    assert system.read("/etc/modprobe.d/60-landingzone.conf").splitlines()[1:] == [
        "install usb-storage /bin/false",
        "blacklist usb-storage",
    ]
    again, _ = run(system, [control("kernel_module", {"name": "usb-storage"})])
    assert again["results"][0]["status"] == "fail"  # still loaded until the reboot
    assert again["results"][0]["changed"] is False and again["results"][0]["reboot_required"] is True


def test_host_kind_auto_detects_a_container(system):
    system.write("/run/.containerenv", "")
    assert make_host(system, host_kind="auto").host_kind == "container"


def test_host_kind_auto_asks_systemd_detect_virt(system):
    system.fail["systemd-detect-virt"] = CommandResult(0, "podman\n", "")
    assert make_host(system, host_kind="auto").host_kind == "container"
    del system.fail["systemd-detect-virt"]
    assert make_host(system, host_kind="auto").host_kind == "server"


def test_control_not_for_this_kind_of_host_is_not_applicable(system):
    only_servers = control("kernel_module", {"name": "cramfs"}, applies_to=["server", "virtual_pc"])
    report, _ = run(system, [only_servers], host_kind="container")

    assert report["results"][0]["status"] == "not_applicable"
    assert report["results"][0]["reason"] == "applies to server, virtual_pc; this host is a container"
    assert system.read("/etc/modprobe.d/60-landingzone.conf") is None
