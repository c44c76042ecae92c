"""The action plugin tells the engine who the run is connected as, and confirms a committed
run over a new connection; when that fails it reports the host's own revert.

The connection is a fake (the plugin runs on the controller; its real SSH is proven in the
molecule scenario linux_baseline_lockout, cases A to D)."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from ansible.errors import AnsibleConnectionFailure
from ansible.playbook.play_context import PlayContext
from ansible_collections.cyberveilig.landingzone.plugins.action import linux_controls as plugin

ARMED = {"unit": "landingzone-confirm-run-1", "seconds": 30}
FIXED = {"id": "LZ-SSH-013", "status": "fixed", "changed": True, "reason": ""}
PASSED = {"id": "LZ-SSH-001", "status": "pass", "changed": False, "reason": ""}


class FakeBecome:
    name = "ansible.builtin.sudo"

    def __init__(self, password):
        self.password = password

    def get_option(self, name, playcontext=None):
        return self.password if name == "become_pass" else None


class FakeConnection:
    def __init__(self, transport="ssh", password="s3cret-become"):
        self.transport = transport
        self.become = FakeBecome(password)
        self.resets = 0
        self._shell = SimpleNamespace(tmpdir=None)

    def get_option(self, name):
        return "admin" if name == "remote_user" else None

    def reset(self):
        self.resets += 1


def run_action(answers, connection=None, args=None, templar=None, task_vars=None, check_mode=False):
    """Run the plugin; `answers` are what successive module runs return (or raise)."""
    task = mock.MagicMock()
    task.args = args or {"mode": "apply", "controls": [], "access": {"operator_account": "operator"}}
    task.check_mode = check_mode
    task.async_val = 0
    connection = connection or FakeConnection()
    context = PlayContext()
    context.become = True
    action = plugin.ActionModule(
        task=task,
        connection=connection,
        play_context=context,
        loader=mock.MagicMock(),
        templar=templar or mock.MagicMock(),
        shared_loader_obj=mock.MagicMock(),
    )
    calls, pending = [], list(answers)

    def execute_module(module_name=None, module_args=None, task_vars=None, **_):
        calls.append(dict(module_args))
        answer = pending.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)

    clock = {"now": 0.0}
    seen = {"rc": 0, "stdout": "10.20.0.9 50022 10.20.0.5 2222" if connection.transport == "ssh" else ""}
    with (
        mock.patch.object(action, "_low_level_execute_command", return_value=seen) as shell,
        mock.patch.object(action, "_execute_module", side_effect=execute_module),
        mock.patch.object(plugin.time, "sleep", side_effect=lambda s: clock.update(now=clock["now"] + s)),
        mock.patch.object(plugin.time, "monotonic", side_effect=lambda: clock["now"]),
    ):
        result = action.run(task_vars={"inventory_hostname": "h1", "group_names": [], **(task_vars or {})})
    if connection.transport == "ssh" and "access" in task.args:
        # Asked of the connected account's own shell: no become.
        shell.assert_called_once_with('printf %s "$SSH_CONNECTION"', sudoable=False)
    else:
        shell.assert_not_called()
    return result, calls, connection


def applied(**extra):
    return {"results": [FIXED, PASSED], "summary": {"fixed": 1, "pass": 1}, "run_id": "run-1", **extra}


def test_the_engine_learns_who_is_connected_and_whether_a_password_is_given_never_the_password():
    result, calls, _ = run_action([applied()])
    access = calls[0]["access"]
    assert access == {
        "operator_account": "operator",
        "connected_account": "admin",
        "transport": "ssh",
        "become_method": "sudo",
        "become_password": True,
        "ssh_connection": "10.20.0.9 50022 10.20.0.5 2222",
    }
    assert "s3cret-become" not in repr(calls)


def test_a_commit_is_confirmed_over_a_new_connection():
    result, calls, connection = run_action([applied(commit_confirmed=ARMED), {"confirmed": True, "reverted": False}])
    assert connection.resets == 1
    assert calls[1] == {"mode": "confirm", "confirm_run": "run-1"}
    assert result["commit_confirmed"] == dict(ARMED, confirmed=True, error="")
    assert not result.get("failed")


def test_podman_needs_no_reset_and_gets_no_warning_about_it():
    connection = FakeConnection(transport="containers.podman.podman")
    result, _, _ = run_action([applied(commit_confirmed=ARMED), {"confirmed": True, "reverted": False}], connection)
    assert connection.resets == 0 and result["commit_confirmed"]["confirmed"] is True


def test_when_no_fresh_login_works_the_result_reports_the_hosts_own_revert():
    refused = AnsibleConnectionFailure("Failed to connect to the host via ssh: admin@h1: Permission denied (publickey)")
    revert = {"restored": ["/etc/ssh/sshd_config.d/00-landingzone.conf"], "errors": []}
    reverted = {"confirmed": False, "reverted": True, "revert": revert}
    answers = [applied(commit_confirmed=ARMED), refused, refused, reverted]

    result, calls, connection = run_action(answers)

    assert result["failed"] is True
    assert "Permission denied (publickey)" in result["msg"] and "rolled the run back" in result["msg"]
    assert result["commit_confirmed"]["reverted"] is True and result["commit_confirmed"]["revert"] == revert
    assert result["results"][0]["status"] == "error" and result["results"][0]["reason"].startswith("reverted:")
    assert result["results"][1]["status"] == "pass"
    assert result["summary"]["error"] == 1 and result["summary"]["fixed"] == 0
    assert connection.resets == 3  # every try is a new connection


@pytest.mark.parametrize("mode", ["rollback", "confirm"])
def test_rollback_and_confirm_are_passed_through(mode):
    args = {"mode": mode, f"{mode}_run": "run-1"}
    result, calls, _ = run_action([{"changed": False}], args=args)
    assert calls == [args]
