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


def test_the_watchers_drop_in_names_its_profile_only_where_it_is_loaded():
    tasks = yaml.safe_load((ROLES / "vpn_gateway" / "tasks" / "main.yml").read_text())
    registered = loading_task("vpn_gateway", "main.yml", "landingzone-vpn-gateway-watch")["register"]
    dropin = "/etc/systemd/system/vpn-gateway-watch.service.d/apparmor.conf"
    (put,) = [t for t in tasks if t.get("ansible.builtin.copy", {}).get("dest") == dropin]
    (removed,) = [t for t in tasks if t.get("ansible.builtin.file", {}).get("path") == dropin]
    assert "AppArmorProfile=landingzone-vpn-gateway-watch\n" in put["ansible.builtin.copy"]["content"]
    assert put["when"] == f"{registered}.enforcing" and removed["when"] == f"not {registered}.enforcing"
    assert removed["ansible.builtin.file"]["state"] == "absent"
