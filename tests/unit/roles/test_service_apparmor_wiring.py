"""Each network-facing service's role loads the profile its unit names, and names it only where the
kernel holds it: the task that loads the profile, the template it renders and the unit's
AppArmorProfile= must agree, or the service would start unconfined, or not at all.

Whether the profiles parse is tests/unit/hostile/test_apparmor_profiles.py; that the kernel confines
the services with them is tests/vm.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from role_render import render  # noqa: E402

ROLES = Path(__file__).resolve().parents[3] / "roles"
# (role, the tasks file that loads the profile, the profile, the unit's template; None where a drop-in
# task names the profile).
SERVICES = [
    ("backup_server", "main.yml", "landingzone-restic-rest", "landingzone-restic-rest.service.j2"),
    ("citizen_portal", "application.yml", "landingzone-citizen-portal", "citizen-portal.service.j2"),
    ("log_collector", "main.yml", "landingzone-log-collector", "landingzone-log-collector.service.j2"),
    ("vpn_gateway", "main.yml", "landingzone-vpn-gateway-watch", None),
    ("workplace_gateway", "apparmor.yml", "landingzone-haproxy", None),
    ("workplace_gateway", "apparmor_nginx.yml", "landingzone-workplace-nginx", None),
    ("workplace", "apparmor_websockify.yml", "landingzone-workplace-websockify", None),
]
UNIT_VARIABLES = {
    "backup_server": {"backup_server_clients": [{"name": "app1"}]},
    # From the role's contract, which a filter this renderer lacks reads.
    "citizen_portal": {"citizen_portal_database": "citizen_portal"},
}


def loading_task(role: str, tasks_file: str, profile: str) -> dict:
    tasks = yaml.safe_load((ROLES / role / "tasks" / tasks_file).read_text())
    (task,) = [
        task for task in tasks if task.get("cyberveilig.landingzone.apparmor_profile", {}).get("name") == profile
    ]
    return task


def profile_template(task: dict) -> str:
    (name,) = re.findall(
        r"'ansible\.builtin\.template', '([^']+)'", task["cyberveilig.landingzone.apparmor_profile"]["content"]
    )
    return name


@pytest.mark.parametrize(("role", "tasks_file", "profile", "unit"), SERVICES, ids=[s[2] for s in SERVICES])
def test_the_role_loads_a_template_of_its_own_that_declares_the_profile(role, tasks_file, profile, unit):
    template = ROLES / role / "templates" / profile_template(loading_task(role, tasks_file, profile))
    assert re.search(rf"^profile {profile}[ {{]", template.read_text(), re.M), template


@pytest.mark.parametrize(("role", "tasks_file", "profile", "unit"), SERVICES[:3], ids=[s[2] for s in SERVICES[:3]])
def test_the_unit_names_the_profile_exactly_where_the_role_could_load_it(role, tasks_file, profile, unit):
    registered = loading_task(role, tasks_file, profile)["register"]
    variables = UNIT_VARIABLES.get(role, {})
    confined = render(role, unit, **{registered: {"enforcing": True}}, **variables)
    assert re.findall(r"^AppArmorProfile=(.*)$", confined, re.M) == [profile]
    for skipped in ({"enforcing": False, "skipped_reason": "not loaded: this host is a container"}, None):
        if skipped is None:
            text = render(role, unit, **variables)  # rendered by a test or a play without the task
        else:
            text = render(role, unit, **{registered: skipped}, **variables)
        assert "AppArmorProfile" not in text


# (role, tasks file, profile, the unit a drop-in puts in it): a unit of the role's own that names the
# profile in a drop-in, or Debian's.
DROP_INS = [
    ("vpn_gateway", "main.yml", "landingzone-vpn-gateway-watch", "vpn-gateway-watch.service"),
    ("workplace_gateway", "apparmor.yml", "landingzone-haproxy", "haproxy.service"),
    ("workplace_gateway", "apparmor_nginx.yml", "landingzone-workplace-nginx", "nginx.service"),
    ("workplace", "apparmor_websockify.yml", "landingzone-workplace-websockify", "workplace-websockify.service"),
]


@pytest.mark.parametrize(("role", "tasks_file", "profile", "unit"), DROP_INS, ids=[d[2] for d in DROP_INS])
def test_the_drop_in_names_the_profile_only_where_it_is_loaded(role, tasks_file, profile, unit):
    tasks = yaml.safe_load((ROLES / role / "tasks" / tasks_file).read_text())
    registered = loading_task(role, tasks_file, profile)["register"]
    dropin = f"/etc/systemd/system/{unit}.d/apparmor.conf"
    (put,) = [t for t in tasks if t.get("ansible.builtin.copy", {}).get("dest") == dropin]
    (removed,) = [t for t in tasks if t.get("ansible.builtin.file", {}).get("path") == dropin]
    assert f"AppArmorProfile={profile}\n" in put["ansible.builtin.copy"]["content"]
    # The removal may wait for the host's read to find the drop-in there (host_drift's present).
    assert put["when"] == f"{registered}.enforcing"
    assert removed["when"] == f"not {registered}.enforcing" or removed["when"].startswith(
        f"not {registered}.enforcing and "
    )
    assert removed["ansible.builtin.file"]["state"] == "absent"


def confinement_records(role: str) -> dict[str, str]:
    """{profile: unit} of the role's apparmor_confinement_status tasks, loops unrolled."""
    found = {}
    for tasks_file in sorted((ROLES / role / "tasks").glob("*.yml")):
        for task in yaml.safe_load(tasks_file.read_text()) or []:
            args = task.get("cyberveilig.landingzone.apparmor_confinement_status")
            if args is None:
                continue
            for item in task.get("loop") or [None]:
                if item is None:
                    found[args["profile"]] = args["unit"]
                else:
                    found[item["profile"]] = item["unit"]
    return found


def loaded_profiles(role: str) -> set[str]:
    return {
        task["cyberveilig.landingzone.apparmor_profile"]["name"]
        for tasks_file in sorted((ROLES / role / "tasks").glob("*.yml"))
        for task in yaml.safe_load(tasks_file.read_text()) or []
        if "cyberveilig.landingzone.apparmor_profile" in task
    }


# The unit each profile confines; nginx's is Debian's own.
CONFINED_UNITS = {
    "landingzone-restic-rest": "landingzone-restic-rest.service",
    "landingzone-citizen-portal": "citizen-portal.service",
    "landingzone-nginx": "nginx.service",
    "landingzone-log-collector": "landingzone-log-collector.service",
    "landingzone-vpn-gateway-watch": "vpn-gateway-watch.service",
    "landingzone-haproxy": "haproxy.service",
    "landingzone-workplace-nginx": "nginx.service",
    "landingzone-workplace-websockify": "workplace-websockify.service",
}
# Debian's own units, which no role ships.
DEBIAN_UNITS = {"nginx.service", "haproxy.service"}


@pytest.mark.parametrize("role", sorted({s[0] for s in SERVICES}))
def test_the_role_records_in_its_evidence_that_each_profile_it_loads_confines_its_service(role):
    recorded = confinement_records(role)
    assert set(recorded) == loaded_profiles(role)
    assert recorded == {profile: CONFINED_UNITS[profile] for profile in recorded}
    # The role installs the unit it names (a template or a file), but for Debian's.
    for unit in set(recorded.values()) - DEBIAN_UNITS:
        shipped = [ROLES / role / "templates" / f"{unit}.j2", ROLES / role / "files" / unit]
        assert any(path.exists() for path in shipped), unit


@pytest.mark.parametrize(
    ("role", "tasks_file"),
    [
        ("backup_server", "main.yml"),
        ("log_collector", "main.yml"),
        ("vpn_gateway", "main.yml"),
        ("workplace_gateway", "apparmor.yml"),
        ("workplace_gateway", "apparmor_nginx.yml"),
        ("workplace", "apparmor_websockify.yml"),
    ],
)
def test_the_record_is_read_after_the_handlers_restarted_the_service(role, tasks_file):
    tasks = yaml.safe_load((ROLES / role / "tasks" / tasks_file).read_text())
    (index,) = [i for i, t in enumerate(tasks) if "cyberveilig.landingzone.apparmor_confinement_status" in t]
    assert tasks[index - 1].get("ansible.builtin.meta") == "flush_handlers"


# The group whose hosts run each role (playbooks/backup.yml, citizen_portal.yml, site.yml, vpn.yml, workplace.yml).
ROLE_GROUPS = {
    "backup_server": "backup_servers",
    "citizen_portal": "citizen_portal",
    "log_collector": "log_collectors",
    "vpn_gateway": "vpn_gateways",
    "workplace_gateway": "workplace_gateways",
    "workplace": "workplace_desks",
}


def test_the_audit_reads_again_every_record_the_roles_write_on_the_hosts_that_run_them():
    playbook = yaml.safe_load((ROLES.parent / "playbooks" / "audit.yml").read_text())
    (play,) = [p for p in playbook if "confined_services" in (p.get("vars") or {})]
    read = {(s["group"], s["profile"], s["unit"]) for s in play["vars"]["confined_services"]}
    written = {
        (ROLE_GROUPS[role], profile, unit)
        for role in sorted({s[0] for s in SERVICES})
        for profile, unit in confinement_records(role).items()
    }
    assert read == written
    assert set(play["hosts"].split(":")) == set(ROLE_GROUPS.values())
    plays = [p for path in (ROLES.parent / "playbooks").glob("*.yml") for p in yaml.safe_load(path.read_text()) or []]
    for role, group in ROLE_GROUPS.items():
        assert any(applies(play, role, group) for play in plays), (group, role)


def applies(play: dict, role: str, group: str) -> bool:
    """Whether the play runs the role on the group's hosts: a play of that group alone, or a play of several
    groups that includes the role on that group's hosts alone."""
    if play.get("hosts") == group:
        return f"landingzone.{role}" in yaml.safe_dump(play)
    return group in str(play.get("hosts", "")).split(":") and any(
        task.get("ansible.builtin.include_role", {}).get("name") == f"cyberveilig.landingzone.{role}"
        and task.get("when") == f"inventory_hostname in groups['{group}']"
        for task in play.get("tasks", [])
    )
