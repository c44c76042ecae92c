"""One apt transaction for all packages; exempt accounts are never aged, locked or faillocked."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from engine_harness import TODAY, control, run


def test_all_package_controls_become_one_install_and_one_purge(system):
    system.write(
        "/var/lib/dpkg/status",
        "Package: telnet\nStatus: install ok installed\n\nPackage: rsh-client\nStatus: install ok installed\n",
    )
    controls = [
        control("package", {"name": ["auditd"]}, "LZ-PKG-001"),
        control("package", {"name": "aide"}, "LZ-PKG-002"),
        control("package", {"name": ["telnet"], "state": "absent"}, "LZ-PKG-003"),
        control("package", {"name": ["rsh-client", "nis"], "state": "absent"}, "LZ-PKG-004"),
    ]
    report, _ = run(system, controls)

    apt = [argv for argv in system.calls if argv[0] == "apt-get"]
    assert len(apt) == 2
    assert apt[0][1] == "install" and apt[0][-2:] == ["aide", "auditd"]
    assert apt[1][1] == "purge" and apt[1][-2:] == ["rsh-client", "telnet"]
    assert [r["status"] for r in report["results"]] == ["fixed", "fixed", "fixed", "fixed"]


def test_apt_update_only_when_lists_are_missing(system):
    attempts = []
    original = system._apt_get

    def apt_get(args, env, stdin):
        attempts.append(args[0])
        if args[0] == "install" and "update" not in attempts:
            return CommandResult(100, "", "E: Unable to locate package auditd")
        return original(args, env, stdin)

    system._apt_get = apt_get
    report, _ = run(system, [control("package", {"name": ["auditd"]})])

    assert attempts == ["install", "update", "install"]
    assert report["results"][0]["status"] == "fixed"


def test_failed_install_is_an_error_for_every_package_control(system):
    system.fail["apt-get"] = CommandResult(100, "", "E: dpkg was interrupted")
    controls = [
        control("package", {"name": ["auditd"]}, "LZ-PKG-001"),
        control("package", {"name": ["aide"]}, "LZ-PKG-002"),
    ]
    report, _ = run(system, controls)

    assert [r["status"] for r in report["results"]] == ["error", "error"]
    assert "dpkg was interrupted" in report["results"][1]["reason"]
    assert system.calls.count(["apt-get", "update", "-q"]) == 0


def test_exempt_accounts_are_never_aged(system):
    system.write("/etc/passwd", system.read("/etc/passwd") + "breakglass:x:1001:1001::/home/bg:/bin/bash\n")
    system.write("/etc/shadow", system.read("/etc/shadow") + "breakglass:$y$j9T$s$h:19000:0:99999:7:::\n", 0o640)

    report, _ = run(
        system, [control("account_policy", {"rule": "password_max_days", "value": 365})], exempt_accounts=["breakglass"]
    )

    assert report["results"][0]["evidence"]["found"]["accounts"] == ["ops"]
    shadow = system.read("/etc/shadow")
    assert f"ops:$y$j9T$opsalt$opshash:{TODAY}:0:365:7:::" in shadow
    assert "breakglass:$y$j9T$s$h:19000:0:99999:7:::" in shadow


def test_faillock_profile_skips_exempt_accounts(system):
    from scenarios import PAM_PROFILE

    params = {"name": "landingzone-faillock", "module": "pam_faillock.so", "content": PAM_PROFILE}
    run(system, [control("pam_profile", params)], exempt_accounts=["breakglass", "ansible"])

    profile = system.read("/usr/share/pam-configs/landingzone-faillock").splitlines()
    skip = "\t[success=1 default=ignore] pam_succeed_if.so quiet user in ansible:breakglass"
    faillock_lines = [i for i, line in enumerate(profile) if "pam_faillock.so" in line]
    assert len(faillock_lines) == 2
    assert all(profile[i - 1] == skip for i in faillock_lines)
    assert ["pam-auth-update", "--enable", "landingzone-faillock"] in system.calls


def test_uid0_other_than_root_needs_a_person(system):
    system.write("/etc/passwd", system.read("/etc/passwd") + "toor:x:0:0::/root:/bin/bash\n")
    before = system.read("/etc/passwd")

    report, _ = run(system, [control("account_policy", {"rule": "uid0_only_root"})])

    assert report["results"][0]["status"] == "fail"
    assert report["results"][0]["changed"] is False
    assert "toor" in report["results"][0]["reason"]
    assert system.read("/etc/passwd") == before


def test_empty_passwords_are_locked_and_system_shells_set_to_nologin(system):
    system.write("/etc/shadow", system.read("/etc/shadow") + "guest::19000:0:99999:7:::\n", 0o640)
    system.write("/etc/passwd", system.read("/etc/passwd") + "guest:x:1002:1002::/home/guest:/bin/sh\n")
    system.write(
        "/etc/passwd",
        system.read("/etc/passwd").replace("daemon:/usr/sbin:/usr/sbin/nologin", "daemon:/usr/sbin:/bin/sh"),
    )
    controls = [
        control("account_policy", {"rule": "no_empty_password"}, "LZ-ACC-001"),
        control("account_policy", {"rule": "system_shell_nologin"}, "LZ-ACC-002"),
    ]
    report, _ = run(system, controls)

    assert [r["status"] for r in report["results"]] == ["fixed", "fixed"]
    assert "guest:!:19000" in system.read("/etc/shadow")
    assert "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin" in system.read("/etc/passwd")
    assert "sync:x:4:65534:sync:/bin:/bin/sync" in system.read("/etc/passwd")  # sync's shell is its job
