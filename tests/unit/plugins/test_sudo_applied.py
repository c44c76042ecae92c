"""sudo_default judges what sudo applies, not only our drop-in: a drop-in sorted after ours that
undoes a setting, or a main file that never includes the drop-ins, fails the control for a person
to act, and the engine leaves that other file alone. On a test tree sudo cannot be asked: the check
reads every sudoers file itself and says so (molecule asks the real sudo)."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers.sudo_default import (
    ASKED_SUDO,
    READ_FILES,
    listed_defaults,
)
from engine_harness import control, run

DEBIAN_SUDOERS = (
    "Defaults\tenv_reset\n"
    "Defaults\tmail_badpass\n"
    'Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
    "root\tALL=(ALL:ALL) ALL\n"
    "%sudo\tALL=(ALL:ALL) ALL\n"
    "@includedir /etc/sudoers.d\n"
)
USE_PTY = control("sudo_default", {"option": "use_pty"}, "LZ-SUDO-002")


def results(report):
    return {result["id"]: result for result in report["results"]}


def test_a_later_drop_in_that_undoes_the_setting_fails_and_is_left_alone(system):
    system.write("/etc/sudoers", DEBIAN_SUDOERS, 0o440)
    system.write("/etc/sudoers.d/zz-vendor", "Defaults !use_pty\n", 0o440)
    first, _ = run(system, [USE_PTY])
    assert results(first)["LZ-SUDO-002"]["status"] == "fixed"
    assert system.read("/etc/sudoers.d/00-landingzone").endswith("Defaults use_pty\n")

    again, _ = run(system, [USE_PTY])
    result = results(again)["LZ-SUDO-002"]
    assert result["status"] == "fail" and not result["changed"]
    assert "/etc/sudoers.d/zz-vendor sets 'Defaults !use_pty' after it" in result["reason"]
    assert READ_FILES in result["reason"]
    assert system.read("/etc/sudoers.d/zz-vendor") == "Defaults !use_pty\n"


def test_the_same_line_earlier_in_another_file_does_not_count_against_ours(system):
    system.write("/etc/sudoers", DEBIAN_SUDOERS.replace("@includedir", "Defaults !use_pty\n@includedir"), 0o440)
    run(system, [USE_PTY])
    again, _ = run(system, [USE_PTY], mode="audit")
    result = results(again)["LZ-SUDO-002"]
    assert result["status"] == "pass", result["reason"]
    assert result["evidence"]["found"]["judged_by"] == READ_FILES


def test_a_main_file_that_never_reads_the_drop_ins_fails(system):
    system.write("/etc/sudoers", DEBIAN_SUDOERS.replace("@includedir /etc/sudoers.d\n", ""), 0o440)
    run(system, [USE_PTY])
    again, _ = run(system, [USE_PTY], mode="audit")
    result = results(again)["LZ-SUDO-002"]
    assert result["status"] == "fail"
    assert "sudo never reads it: /etc/sudoers does not include /etc/sudoers.d" in result["reason"]


def test_sudo_l_output_is_read_entry_by_entry_with_its_escapes():
    # The layout of `sudo -n -l -U root` on Debian 12 (sudo 1.9.13), values escaped as sudo prints them.
    output = (
        "Matching Defaults entries for root on lz-stock-debian12:\n"
        "    env_reset, mail_badpass,\n"
        "    secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin, use_pty,\n"
        "    logfile=/var/log/sudo.log, passprompt=a\\,b, !visiblepw, env_keep+=LANG, use_pty\n"
        "\n"
        "Runas and Command-specific defaults for root:\n"
        "    Defaults!/usr/bin/less !use_pty\n"
        "\n"
        "User root may run the following commands on lz-stock-debian12:\n"
        "    (ALL : ALL) ALL\n"
    )
    entries = dict(listed_defaults(output))
    assert entries["secure_path"] == "Defaults secure_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert entries["passprompt"] == "Defaults passprompt=a,b"
    assert entries["visiblepw"] == "Defaults !visiblepw"
    assert entries["use_pty"] == "Defaults use_pty"  # the command-specific !use_pty is not global
    assert "env_keep" not in entries
    assert listed_defaults("User root is not allowed to run sudo on host.\n") is None
    assert ASKED_SUDO == "sudo -l -U root"
