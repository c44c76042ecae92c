"""The backup_server role refuses a client name that would leave the repository root and a
calendar that would add lines to a unit, before anything is installed: its own assert tasks,
evaluated as Ansible evaluates them, with good and with hostile values."""

from __future__ import annotations

import pytest
import yaml
from restic_harness import REPO
from role_render import text, value

TASKS = yaml.safe_load((REPO / "roles" / "backup_server" / "tasks" / "main.yml").read_text())


def assert_task(name):
    return next(task for task in TASKS if task["name"] == name)


def evaluate(name, **variables):
    """(holds, message) of the role's assert task ``name`` with ``variables``."""
    task = assert_task(name)
    check = task["ansible.builtin.assert"]
    holds = value("backup_server", check["that"], task.get("vars"), **variables)
    return holds, text("backup_server", check["fail_msg"], task.get("vars"), **variables)


@pytest.mark.parametrize("name", ["app1", "demo-backup1", "host.example.be", "A_1"])
def test_a_host_name_is_a_client_name(name):
    holds, _ = evaluate("Check the client names", backup_server_clients=[{"name": name}])
    assert holds is True


@pytest.mark.parametrize("name", ["../etc", "a/b", ".hidden", "-rf", "x\ny", "app 1", "$(id)", ""])
def test_a_name_that_would_leave_the_repository_root_is_refused(name):
    holds, message = evaluate("Check the client names", backup_server_clients=[{"name": name}])
    assert holds is False and message.startswith("backup_server_clients: ") and "is not a client name" in message


@pytest.mark.parametrize("calendar", ["*:0/5", "*-*-* 05:15:00", "Mon..Fri 02:00", "hourly"])
def test_a_calendar_is_taken(calendar):
    holds, _ = evaluate("Check the timers' calendars", backup_server_index_on_calendar=calendar)
    assert holds is True


@pytest.mark.parametrize("calendar", ["daily\nExecStartPre=/bin/touch /tmp/x", "*:0/5;id", "$(id)"])
def test_a_calendar_that_would_add_lines_to_a_unit_is_refused(calendar):
    holds, message = evaluate("Check the timers' calendars", backup_server_retention_on_calendar=calendar)
    assert holds is False and message.startswith("backup_server_retention_on_calendar: ")
