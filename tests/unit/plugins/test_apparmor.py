"""The AppArmor controls against a fake kernel tree (/sys/kernel/security/apparmor, /proc) under a root prefix."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from engine_harness import control, run
from scenarios import CHRONYD_PROFILE

PROFILES = "/sys/kernel/security/apparmor/profiles"
ENFORCE_ONLY = {"modes": ["enforce"]}


def kernel(system, profiles, enabled="Y"):
    system.write("/sys/module/apparmor/parameters/enabled", enabled + "\n")
    system.write(PROFILES, "".join(f"{name} ({mode})\n" for name, mode in profiles.items()))


def process(system, pid, exe, label, cgroup, attr="attr/apparmor/current"):
    system.write(f"/proc/{pid}/comm", os.path.basename(exe.removesuffix(" (deleted)"))[:15] + "\n")
    system.write(f"/proc/{pid}/{attr}", label + "\n")
    system.write(f"/proc/{pid}/cgroup", cgroup + "\n")
    os.symlink(exe, system.root / f"proc/{pid}/exe")


def profile_mode(params=None, control_id="LZ-MAC-006"):
    return control("apparmor_profile_mode", params or ENFORCE_ONLY, control_id)


def confined(restart=True):
    return control("apparmor_confined_process", {"restart_services": restart}, "LZ-MAC-005")


def test_a_kernel_without_apparmor_fails_naming_the_switch_and_changes_nothing(system):
    kernel(system, {}, enabled="N")
    report, _ = run(system, [profile_mode(), confined()])

    for result in report["results"]:
        assert result["status"] == "fail"
        assert (
            "AppArmor is not enabled in the running kernel (/sys/module/apparmor/parameters/enabled: N)"
            in (result["reason"])
        )
        assert result["changed"] is False
    assert system.mutating_calls() == []


def test_apparmor_enabled_with_no_profile_loaded_fails(system):
    kernel(system, {})
    result = run(system, [profile_mode()])[0]["results"][0]
    assert result["status"] == "fail"
    assert result["reason"].startswith("the kernel has no AppArmor profile loaded")


def test_check_mode_on_a_host_without_the_package_says_the_install_loads_the_profiles(system):
    kernel(system, {})  # Debian's kernel has AppArmor on; nothing loads a profile without the package
    package = control("package", {"name": ["apparmor"], "state": "present"}, "LZ-MAC-001")

    report, _ = run(system, [package, profile_mode()], check_mode=True)

    assert report["results"][1]["status"] == "fail"
    assert report["results"][1]["reason"] == (
        "the kernel has no AppArmor profile loaded yet: the apparmor package this run installs loads them"
    )


def test_complain_passes_where_the_level_allows_it_and_is_enforced_where_it_does_not(system):
    kernel(system, {"/usr/sbin/chronyd": "complain", "man_filter": "enforce"})
    system.write("/etc/apparmor.d/usr.sbin.chronyd", CHRONYD_PROFILE)
    important = profile_mode({"modes": ["enforce", "complain"]}, "LZ-MAC-004")

    assert run(system, [important])[0]["results"][0]["status"] == "pass"
    result = run(system, [profile_mode()])[0]["results"][0]

    assert result["status"] == "fixed"
    assert result["evidence"]["found"]["profiles"] == {"complain": ["/usr/sbin/chronyd"], "enforce": ["man_filter"]}
    # As aa-enforce leaves it: the other flags stay, complain goes; then the file is loaded again.
    assert "/usr/sbin/chronyd flags=(attach_disconnected) {\n" in system.read("/etc/apparmor.d/usr.sbin.chronyd")
    assert ["apparmor_parser", "--replace", "/etc/apparmor.d/usr.sbin.chronyd"] in system.calls
    assert "/usr/sbin/chronyd (enforce)" in system.read(PROFILES)


APPARMOR_PARSER = shutil.which("apparmor_parser") or shutil.which("apparmor_parser", path="/sbin:/usr/sbin")


@pytest.mark.skipif(not APPARMOR_PARSER, reason="apparmor_parser (Debian package apparmor) is not installed here")
def test_the_file_the_fix_writes_is_one_apparmor_parser_compiles(system):
    kernel(system, {"/usr/sbin/chronyd": "complain"})
    system.write("/etc/apparmor.d/usr.sbin.chronyd", CHRONYD_PROFILE)
    fixed = system.root / "etc/apparmor.d/usr.sbin.chronyd"
    # The real parser, compiling without loading (-Q -K), against the controller's own abstractions.
    before = subprocess.run([APPARMOR_PARSER, "-Q", "-K", str(fixed)], capture_output=True, text=True, check=False)
    assert before.returncode == 0, before.stderr

    assert run(system, [profile_mode()])[0]["results"][0]["status"] == "fixed"

    after = subprocess.run([APPARMOR_PARSER, "-Q", "-K", str(fixed)], capture_output=True, text=True, check=False)
    assert after.returncode == 0, after.stderr
    assert "complain" not in fixed.read_text()


def test_a_force_complain_link_is_removed_and_a_lone_complain_flag_leaves_no_empty_flags(system):
    kernel(system, {"lsb_release": "complain", "nvidia_modprobe": "complain"})
    system.write(
        "/etc/apparmor.d/lsb_release",
        "profile lsb_release /usr/bin/lsb_release {\n  /usr/bin/lsb_release r,\n  /{usr/,}bin/dash ixr,\n}\n",
    )
    system.write(
        "/etc/apparmor.d/nvidia_modprobe",
        "profile nvidia_modprobe /usr/bin/nvidia-modprobe flags=(complain) {\n"
        "  profile kmod /{usr/,}bin/kmod flags=(complain) {\n  }\n}\n",
    )
    system.write("/etc/apparmor.d/force-complain/.keep", "")
    os.symlink("/etc/apparmor.d/lsb_release", system.root / "etc/apparmor.d/force-complain/lsb_release")

    result = run(system, [profile_mode()])[0]["results"][0]

    assert result["status"] == "fixed", result["reason"]
    assert not os.path.lexists(system.root / "etc/apparmor.d/force-complain/lsb_release")
    nvidia = system.read("/etc/apparmor.d/nvidia_modprobe").splitlines()
    assert nvidia[0] == "profile nvidia_modprobe /usr/bin/nvidia-modprobe {"
    # A child's line is not a top-level profile's: left as it is.
    assert nvidia[1] == "  profile kmod /{usr/,}bin/kmod flags=(complain) {"
    assert system.read(PROFILES) == "lsb_release (enforce)\nnvidia_modprobe (enforce)\n"


def test_modes_the_fix_does_not_decide_are_reported_and_held_back(system):
    kernel(
        system,
        {
            "firefox": "unconfined",
            "/usr/sbin/chronyd": "kill",
            "nvidia_modprobe//kmod": "complain",
            "ghost": "complain",
        },
    )
    result = run(system, [profile_mode()])[0]["results"][0]

    assert result["status"] == "fail"
    assert result["changed"] is False
    held = result["evidence"]["held_back"]
    assert any(line.startswith("firefox (unconfined)") for line in held)
    assert any(line.startswith("/usr/sbin/chronyd (kill)") for line in held)
    assert any(line.startswith("nvidia_modprobe//kmod: a child profile") for line in held)
    assert "ghost: no file under /etc/apparmor.d declares it" in held
    assert system.mutating_calls() == []


def test_hostile_profile_names_and_files_are_read_as_data(system):
    # A name with spaces and shell metacharacters, and a file that tries to look like a header in a comment.
    name = "x; rm -rf / $(id) `id`"
    kernel(system, {name: "complain"})
    system.write("/etc/apparmor.d/evil", f'profile "{name}" flags=(complain) {{\n}}\n# /etc/passwd {{\n')

    result = run(system, [profile_mode()])[0]["results"][0]

    assert result["status"] == "fixed", result["reason"]
    assert system.read("/etc/apparmor.d/evil").startswith(f'profile "{name}" {{\n')
    assert ["apparmor_parser", "--replace", "/etc/apparmor.d/evil"] in system.calls


def test_in_a_container_the_hosts_policy_is_not_judged(system):
    kernel(system, {"/usr/sbin/chronyd": "complain"})
    report, _ = run(system, [profile_mode(), confined()], host_kind="container")

    for result in report["results"]:
        assert result["status"] == "not_applicable"
        assert result["reason"].startswith("a container shares the host's kernel")
    assert system.mutating_calls() == []


def test_an_unconfined_service_with_a_profile_is_restarted_and_others_are_named(system):
    kernel(system, {"/usr/sbin/chronyd": "enforce", "/usr/bin/man": "enforce"})
    process(system, 812, "/usr/sbin/chronyd", "unconfined", "0::/system.slice/chrony.service")
    # A person's command in a login session: no service to restart. Read through attr/current
    # (kernels before 5.8 have no attr/apparmor), and with the executable replaced since it started.
    process(system, 900, "/usr/bin/man (deleted)", "unconfined", "0::/user.slice/session-3.scope", "attr/current")
    process(system, 640, "/usr/sbin/sshd", "unconfined", "0::/system.slice/ssh.service")  # no profile
    process(system, 700, "/usr/sbin/chronyd", "/usr/sbin/chronyd (enforce)", "0::/system.slice/chrony.service")
    system.write("/proc/2/comm", "kthreadd\n")  # a kernel thread: no executable

    result = run(system, [confined()])[0]["results"][0]

    assert result["status"] == "fail"
    assert result["reboot_required"] is True
    found = result["evidence"]["found"]["unconfined_with_profile"]
    assert [(p["pid"], p["name"], p["unit"]) for p in found] == [(812, "chronyd", "chrony.service"), (900, "man", "")]
    assert "chronyd (pid 812, /usr/sbin/chronyd) runs unconfined" in result["reason"]
    assert result["evidence"]["held_back"] == [
        "man (pid 900) is not a service's: confined from its next start or after a reboot"
    ]
    assert ["systemctl", "restart", "chrony.service"] in system.calls
    assert not [argv for argv in system.calls if "ssh.service" in argv]


def test_restart_services_false_only_reports(system):
    kernel(system, {"/usr/sbin/chronyd": "enforce"})
    process(system, 812, "/usr/sbin/chronyd", "unconfined", "1:name=systemd:/system.slice/chrony.service")

    result = run(system, [confined(restart=False)])[0]["results"][0]

    assert result["status"] == "fail"
    assert result["evidence"]["held_back"] == [
        "chronyd (pid 812): chrony.service is not restarted (restart_services is false)"
    ]
    assert system.mutating_calls() == []


def test_every_program_confined_passes(system):
    kernel(system, {"/usr/sbin/chronyd": "enforce"})
    process(system, 812, "/usr/sbin/chronyd", "/usr/sbin/chronyd (enforce)", "0::/system.slice/chrony.service")
    result = run(system, [confined()])[0]["results"][0]
    assert result["status"] == "pass"
    assert result["evidence"]["found"]["unconfined_with_profile"] == []
