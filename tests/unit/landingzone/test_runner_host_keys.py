"""A real ansible-runner run against an inventory that tries every way to turn host key
checking off: the ssh that Ansible runs is still strict against the municipality's
known_hosts, its masters live and die with the run, and the other hosts go on.

No sshd runs on this machine, so ssh here meets a closed port; the options it was given
are read back from its own argument vector with `ssh -G`. The refusal itself, by a real
sshd with a replaced key, is proven in tests/integration/test_host_keys.py.
"""

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

from run_metadata import METADATA

from landingzone.runner.events import HOST_KEY_REFUSED, HOST_KEY_REFUSED_LATER, RunObserver
from landingzone.runner.fleet import run_fleet
from landingzone.runner.job import FleetSettings, Municipality, RunKind

PROBE = RunKind("audit", "probe.yml")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _checkout(root: Path) -> Path:
    _write(
        root / "ansible.cfg",
        """
        [defaults]
        host_key_checking = False
        [ssh_connection]
        ssh_args = -o ControlMaster=auto -o ControlPersist=60s ; kept after the trust options
        """,
    )
    _write(root / "collections/ansible_collections/cyberveilig/landingzone/galaxy.yml", "namespace: cyberveilig\n")
    _write(
        root / "playbooks/probe.yml",
        """
        - name: Probe
          hosts: all
          gather_facts: false
          tasks:
            - name: Reach the host
              ansible.builtin.ping:
        """,
    )
    return root


def _hostile_municipality(fleet: Path, recorder: Path) -> Municipality:
    """gent-app2 is local and fine; gent-app1's inventory line turns off what it can."""
    loosen = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/etc/ssh/known"
    hosts = _write(
        fleet / "gent" / "hosts.yml",
        f"""
        all:
          hosts:
            gent-app1:
              ansible_connection: ssh
              ansible_host: 127.0.0.1
              ansible_port: {_closed_port()}
              ansible_ssh_executable: {recorder}
              ansible_host_key_checking: false
              ansible_ssh_args: "{loosen}"
              ansible_ssh_common_args: "{loosen}"
              ansible_ssh_extra_args: "-o StrictHostKeyChecking=no -o KnownHostsCommand=/bin/cat"
              ansible_control_path_dir: {fleet / "shared-masters"}
            gent-app2:
              ansible_connection: local
              ansible_python_interpreter: {sys.executable}
        """,
    )
    return Municipality("gent", "44021", hosts.parent, ["gent-app1", "gent-app2"])


def test_an_inventory_cannot_turn_host_key_checking_off(tmp_path):
    checkout = _checkout(tmp_path / "checkout")
    record = tmp_path / "ssh-argv"
    recorder = tmp_path / "ssh-recorder"
    recorder.write_text(f'#!/bin/sh\nprintf \'%s\\n\' "$@" > {record}\nexec ssh "$@"\n')
    recorder.chmod(0o755)
    fleet = tmp_path / "fleet"
    municipality = _hostile_municipality(fleet, recorder)
    settings = FleetSettings(root=checkout, fleet=fleet, metadata=METADATA)

    (outcome,) = run_fleet([municipality], PROBE, settings, parallel=1, on_progress=lambda p: None)

    assert outcome.exit_code == 3 and not outcome.finished, outcome.message
    assert outcome.hosts["gent-app2"] == {"reachable": True, "failed": False, "message": ""}, outcome.message
    assert outcome.hosts["gent-app1"]["reachable"] is False
    # A closed port is not a refused key: the message says what happened.
    assert "not reached: gent-app1" in outcome.message
    assert not outcome.hosts["gent-app1"]["message"].startswith(HOST_KEY_REFUSED)

    argv = record.read_text().splitlines()
    host_at = argv.index("127.0.0.1")
    resolved = subprocess.run(
        ["ssh", "-G", *argv[:host_at], "127.0.0.1"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    options = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in resolved}
    assert options["stricthostkeychecking"] == "true"
    assert options["userknownhostsfile"] == str(fleet / "gent" / "known_hosts")
    assert options["globalknownhostsfile"] == "/dev/null"
    assert options["updatehostkeys"] == "false"
    assert "knownhostscommand" not in options
    # ansible.cfg's own ssh_args still apply, after the trust options.
    assert (options["controlmaster"], options["controlpersist"]) == ("auto", "60")
    # The run's masters lived in a directory of its own, gone with the run.
    control_dir = Path(options["controlpath"]).parent
    assert control_dir.name.startswith("lz-ssh-") and not control_dir.exists()
    assert not (fleet / "shared-masters").exists()
    command = json.loads(next(Path(outcome.run_dir).glob("artifacts/*/command")).read_text())
    assert any("StrictHostKeyChecking=yes" in part for part in command["command"])


def test_a_refused_host_key_is_named_as_such():
    observer = RunObserver("gent", ["a", "b", "c", "d"], set())
    refusal = (
        "Failed to connect to the host via ssh: No ED25519 host key is known for 10.0.0.1 and you have "
        "requested strict checking.\r\nHost key verification failed."
    )
    observer.handle({"event": "runner_on_unreachable", "event_data": {"host": "a", "res": {"msg": refusal}}})
    observer.handle(
        {"event": "runner_on_unreachable", "event_data": {"host": "b", "res": {"msg": "Connection refused"}}}
    )
    a, b = observer.host_states["a"], observer.host_states["b"]
    assert a.host_key_refused and a.went_wrong
    assert a.message == f"{HOST_KEY_REFUSED}: {refusal}"
    assert not b.host_key_refused and b.message == "Connection refused"

    # Tasks that ran only on the controller for the host (the baseline's catalog checks) sent
    # nothing: a refusal after them is still the first connection.
    for action in ("ansible.builtin.include_vars", "assert"):
        ok = {"host": "d", "res": {}, "resolved_action": action, "task_action": action}
        observer.handle({"event": "runner_on_ok", "event_data": ok})
    observer.handle({"event": "runner_on_skipped", "event_data": {"host": "d", "task_action": "ansible.builtin.copy"}})
    observer.handle({"event": "runner_on_unreachable", "event_data": {"host": "d", "res": {"msg": refusal}}})
    assert observer.host_states["d"].message == f"{HOST_KEY_REFUSED}: {refusal}"

    # Refused on a connection opened again mid-run: its first tasks had run, and it says so.
    observer.handle({"event": "runner_on_ok", "event_data": {"host": "c", "res": {}}})
    observer.handle({"event": "runner_on_unreachable", "event_data": {"host": "c", "res": {"msg": refusal}}})
    c = observer.host_states["c"]
    assert c.host_key_refused and c.message == f"{HOST_KEY_REFUSED_LATER}: {refusal}"
