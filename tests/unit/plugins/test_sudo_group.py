"""sudo closed to one group (sudo_group): applied through dpkg-statoverride, and held back while an
account that must keep sudo is not in the group, in /etc/group or in its running session.

The fake host's /proc holds this test process and the ancestors the test gives it: the first one
that runs wholly as the connected account is its SSH session, whose `Groups:` were fixed at login.
"""

from __future__ import annotations

import os
import stat

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.rollback import rollback
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
    ControlError,
    validate_controls,
)
from engine_harness import TODAY, control, make_host
from lockout_harness import arrange, run_kept

SUDO = "/usr/bin/sudo"
OVERRIDES = "/var/lib/dpkg/statoverride"
SUDO_GROUP = control("sudo_group", {"group": "sudo"}, "LZ-SUDO-013")
LOGIN_GROUP = control("login_group", {"name": "lz-operators"}, "LZ-SSH-035")


def by_id(report):
    return {r["id"]: r for r in report["results"]}


def processes(system, *chain):
    """This process (root, after sudo) and then `chain` upwards: (uid, groups) per ancestor."""
    pid, parent = os.getpid(), 900001
    system.write(
        f"/proc/{pid}/status", f"Name:\tpython3\nPPid:\t{parent}\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n"
    )
    for uid, groups in chain:
        gid = {1000: 1000, 1002: 1002}.get(uid, uid)
        system.write(
            f"/proc/{parent}/status",
            f"Name:\tsh\nPPid:\t{parent + 1}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n"
            f"Gid:\t{gid}\t{gid}\t{gid}\t{gid}\nGroups:\t{' '.join(str(g) for g in groups)}\n",
        )
        parent += 1
    system.write(f"/proc/{parent}/status", "Name:\tsshd\nPPid:\t1\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\n")


def stock_sudo(system):
    arrange(system)
    system.write(SUDO, "#!/bin/sh\n", 0o4755)
    os.symlink("sudo", system.root / "usr/bin/sudoedit")
    system.write(OVERRIDES, "root messagebus 4754 /usr/lib/dbus-1.0/dbus-daemon-launch-helper\n")


def sudo_mode(system):
    info = os.stat(system.root / SUDO.lstrip("/"))
    return f"{stat.S_IMODE(info.st_mode):04o}", info.st_gid


def untouched(system, host):
    assert sudo_mode(system) == ("4755", 0)
    assert "/usr/bin/sudo" not in system.read(OVERRIDES)
    assert not [c for c in system.calls if c[0] == "dpkg-statoverride"]
    assert not host.tx.metadata_changes


def refusal(system, controls=(SUDO_GROUP,), **overrides):
    """The reason LZ-SUDO-013 fails with, once it is proven that it changed nothing."""
    report, host = run_kept(system, list(controls), **overrides)
    result = by_id(report)["LZ-SUDO-013"]
    assert result["status"] == "fail" and result["changed"] is False
    untouched(system, host)
    return result["reason"]


def test_a_session_that_has_the_group_gets_sudo_closed_to_the_group(system):
    stock_sudo(system)
    processes(system, (1000, [1000, 27]))
    report, _ = run_kept(system, [SUDO_GROUP])

    result = by_id(report)["LZ-SUDO-013"]
    assert result["status"] == "fixed", result["reason"]
    assert sudo_mode(system) == ("4750", 27)
    assert "root sudo 4750 /usr/bin/sudo" in system.read(OVERRIDES).splitlines()
    # dbus's own override stays.
    assert "root messagebus 4754 /usr/lib/dbus-1.0/dbus-daemon-launch-helper" in system.read(OVERRIDES)
    again, _ = run_kept(system, [SUDO_GROUP])
    assert by_id(again)["LZ-SUDO-013"]["status"] == "pass"


def test_an_administrator_nobody_asked_to_keep_is_named_as_losing_sudo(system):
    # admin2 has sudo through group sudo today; sudo closed to lz-admins, which only ops is in.
    stock_sudo(system)
    system.write("/etc/group", system.read("/etc/group") + "lz-admins:x:1500:ops\n")
    processes(system, (1000, [1000, 27, 1500]))
    report, _ = run_kept(system, [control("sudo_group", {"group": "lz-admins"}, "LZ-SUDO-013")])

    result = by_id(report)["LZ-SUDO-013"]
    assert result["status"] == "fixed", result["reason"]
    warnings = result["evidence"]["warnings"]
    assert [w for w in warnings if w.startswith("admin2 can no longer start sudo")] == warnings and warnings
    assert sudo_mode(system) == ("4750", 1500)


def test_in_etc_group_but_not_in_the_running_session_holds_it_back_and_check_mode_says_so(system):
    stock_sudo(system)
    processes(system, (1000, [1000]))
    predicted, _ = run_kept(system, [SUDO_GROUP], check_mode=True)
    report, host = run_kept(system, [SUDO_GROUP])

    result = by_id(report)["LZ-SUDO-013"]
    assert result["status"] == "fail" and result["changed"] is False
    assert "ops" in result["reason"] and "running session" in result["reason"]
    assert "Log in again" in result["reason"]
    assert by_id(predicted)["LZ-SUDO-013"]["reason"] == result["reason"]
    untouched(system, host)


def test_joining_the_group_in_the_same_run_does_not_count_for_the_session(system):
    # The hazard itself: login_group puts ops into lz-operators in this run; the session that
    # runs it logged in before, without the group.
    stock_sudo(system)
    processes(system, (1000, [1000, 27]))
    closed_to_operators = control("sudo_group", {"group": "lz-operators"}, "LZ-SUDO-013")
    report, host = run_kept(system, [LOGIN_GROUP, closed_to_operators], breakglass="")

    results = by_id(report)
    assert results["LZ-SSH-035"]["status"] == "fixed"
    assert "ops" in system.read("/etc/group").split("lz-operators:")[1].splitlines()[0]
    assert results["LZ-SUDO-013"]["status"] == "fail"
    assert "does not have lz-operators" in results["LZ-SUDO-013"]["reason"]
    untouched(system, host)


def test_a_keeper_outside_the_group_in_etc_group_holds_it_back_naming_it(system):
    stock_sudo(system)
    system.write("/etc/group", system.read("/etc/group") + "wheel:x:1500:\n")
    processes(system, (1000, [1000, 27]))
    assert "ops is not in wheel in /etc/group: add ops to wheel" in refusal(
        system, [control("sudo_group", {"group": "wheel"}, "LZ-SUDO-013")]
    )


def test_the_break_glass_account_must_be_in_the_group_too(system):
    # It has sudo by a rule of its own, not through group sudo: closing sudo to the group takes it away.
    stock_sudo(system)
    system.write("/etc/passwd", system.read("/etc/passwd") + "breakglass:x:1003:1003::/home/breakglass:/bin/bash\n")
    system.write("/etc/group", system.read("/etc/group") + "breakglass:x:1003:\n")
    system.write(
        "/etc/shadow", system.read("/etc/shadow") + f"breakglass:$y$j9T$bg$bghash:{TODAY}:0:99999:7:::\n", 0o640
    )
    system.write("/etc/sudoers.d/50-breakglass", "breakglass ALL=(ALL:ALL) ALL\n", 0o440)
    processes(system, (1000, [1000, 27]))
    assert "breakglass is not in sudo" in refusal(system, breakglass="breakglass")


def test_a_strangers_session_above_the_run_is_not_taken_for_the_connected_accounts(system):
    # admin2 has the group in its session, but the run is connected as ops, and no ancestor is ops.
    stock_sudo(system)
    processes(system, (1002, [1002, 27]))
    assert "no process above this run is ops's session" in refusal(system)


def test_a_missing_group_is_named_and_nothing_is_touched(system):
    stock_sudo(system)
    processes(system, (1000, [1000, 27]))
    assert "group wheel does not exist" in refusal(system, [control("sudo_group", {"group": "wheel"}, "LZ-SUDO-013")])


def test_an_operator_who_is_not_the_connected_account_needs_only_etc_group(system):
    # Over podman as root: nobody's session is in the way; ops gets the group at its next login.
    stock_sudo(system)
    processes(system)
    report, _ = run_kept(system, [SUDO_GROUP], connected="root", transport="containers.podman.podman")
    assert by_id(report)["LZ-SUDO-013"]["status"] == "fixed"


def test_sudoedit_as_a_program_of_its_own_fails_and_is_left_to_a_person(system):
    stock_sudo(system)
    os.unlink(system.root / "usr/bin/sudoedit")
    system.write("/usr/bin/sudoedit", "#!/bin/sh\n", 0o4755)
    processes(system, (1000, [1000, 27]))
    assert "/usr/bin/sudoedit is a program of its own" in refusal(system)


def test_an_override_dpkg_already_holds_is_replaced_and_the_rollback_restores_both(system):
    stock_sudo(system)
    system.write(OVERRIDES, system.read(OVERRIDES) + "root root 4755 /usr/bin/sudo\n")
    processes(system, (1000, [1000, 27]))
    report, _ = run_kept(system, [SUDO_GROUP])
    assert by_id(report)["LZ-SUDO-013"]["status"] == "fixed"
    assert [line for line in system.read(OVERRIDES).splitlines() if line.endswith(SUDO)] == [
        "root sudo 4750 /usr/bin/sudo"
    ]

    records = rollback(make_host(system, run_id="undo"), report["run_id"])
    assert {r["status"] for r in records} == {"fixed"}, records
    assert sudo_mode(system) == ("4755", 0)
    assert "root root 4755 /usr/bin/sudo" in system.read(OVERRIDES)
    assert "root sudo 4750" not in system.read(OVERRIDES)


@pytest.mark.parametrize("hostile", ["sudo adm", "sudo\nALL", "*", "../etc", "Sudo", "-sudo", "a" * 33, ""])
def test_a_group_name_of_any_other_shape_is_refused_naming_control_and_field(hostile):
    with pytest.raises(ControlError, match=r"control LZ-SUDO-013: params\.group"):
        validate_controls([control("sudo_group", {"group": hostile}, "LZ-SUDO-013")])
