"""apparmor_confinement_status: a service's confinement read from a fake kernel tree (/sys, /proc) under a root
prefix, as the AppArmor controls' tests read it. tests/vm reads Debian's kernel for real."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.cyberveilig.landingzone.plugins.modules import apparmor_confinement_status as status
from engine_harness import make_host
from test_apparmor import kernel, process

PROFILE = "landingzone-restic-rest"
UNIT = "landingzone-restic-rest.service"
CGROUP = f"0::/system.slice/{UNIT}"


def record(system, host_kind="server"):
    return status.confinement_record(make_host(system, check_mode=True, host_kind=host_kind), PROFILE, UNIT)


def test_a_service_whose_every_process_runs_in_its_enforcing_profile_passes(system):
    kernel(system, {PROFILE: "enforce", "/usr/sbin/chronyd": "enforce"})
    process(system, 590, "/usr/bin/rclone", f"{PROFILE} (enforce)", CGROUP)
    # A child profile of its own counts as its own; another service's process is not looked at.
    process(system, 591, "/usr/bin/true", f"{PROFILE}//helper (enforce)", CGROUP, "attr/current")
    process(system, 700, "/usr/sbin/chronyd", "unconfined", "0::/system.slice/chrony.service")

    found = record(system)

    assert found == {
        "service": UNIT,
        "profile": PROFILE,
        "profile_mode": "enforce",
        "processes": [
            {"pid": 590, "name": "rclone", "label": f"{PROFILE} (enforce)"},
            {"pid": 591, "name": "true", "label": f"{PROFILE}//helper (enforce)"},
        ],
        "reason": "",
        "verdict": "pass",
    }


@pytest.mark.parametrize(
    ("profiles", "label", "reason"),
    [
        ({}, "unconfined", f"the kernel has no profile {PROFILE} loaded"),
        ({PROFILE: "complain"}, f"{PROFILE} (complain)", f"the kernel holds {PROFILE} in complain mode, not enforce"),
        # Started before the profile was loaded, or by a unit that does not name it.
        ({PROFILE: "enforce"}, "unconfined", f"rclone (pid 590) of {UNIT} runs as unconfined"),
        # A profile whose name begins with the service's is another profile, not a child of it.
        ({PROFILE: "enforce"}, f"{PROFILE}-x (enforce)", f"rclone (pid 590) of {UNIT} runs as {PROFILE}-x (enforce)"),
    ],
)
def test_a_service_outside_its_enforcing_profile_fails_saying_why(system, profiles, label, reason):
    kernel(system, profiles)
    process(system, 590, "/usr/bin/rclone", label, CGROUP)

    found = record(system)

    assert (found["verdict"], found["reason"]) == ("fail", reason)
    assert found["processes"][0]["label"] == label


def test_a_service_with_no_process_fails_even_with_its_profile_enforcing(system):
    kernel(system, {PROFILE: "enforce"})
    process(system, 700, "/usr/sbin/chronyd", "/usr/sbin/chronyd (enforce)", "0::/system.slice/chrony.service")

    found = record(system)

    assert (found["verdict"], found["reason"]) == ("fail", f"{UNIT} has no running process to confine")


def test_a_kernel_without_apparmor_fails_naming_the_switch(system):
    kernel(system, {}, enabled="N")

    found = record(system)

    assert found["verdict"] == "fail"
    assert found["reason"].startswith("AppArmor is not enabled in the running kernel")


def test_in_a_container_it_is_not_applicable_with_the_reason(system):
    kernel(system, {PROFILE: "complain"})
    process(system, 590, "/usr/bin/rclone", "unconfined", CGROUP)

    found = record(system, host_kind="container")

    assert found["verdict"] == "not_applicable"
    assert found["reason"].startswith("a container shares the host's kernel")
    assert found["processes"] == [] and found["profile_mode"] is None


def test_hostile_names_in_the_kernels_lists_are_read_as_data(system):
    # A process may set its own name (comm); a profile name may hold anything the parser accepts.
    evil = f"{PROFILE} (enforce)\n{PROFILE}"
    kernel(system, {evil: "enforce"})
    process(system, 590, "/usr/bin/rclone", f"{evil} (enforce)", CGROUP)
    system.write("/proc/590/comm", "$(reboot) <b>\n")

    found = record(system)

    assert found["verdict"] == "fail"
    assert found["processes"][0]["name"] == "$(reboot) <b>"
    assert json.loads(json.dumps(found)) == found


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"profile": "landingzone-x (enforce)", "unit": UNIT}, "profile"),
        ({"profile": PROFILE, "unit": "nginx"}, "unit"),
        ({"profile": PROFILE, "unit": "a.service\nb.service"}, "unit"),
    ],
)
def test_bad_arguments_fail_naming_the_field(args, field, capsys):
    with patch_module_args(args), pytest.raises(SystemExit):
        status.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True
    assert result["msg"].startswith(f"apparmor_confinement_status: {field} ")
