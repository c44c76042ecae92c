"""Commit confirmed: armed before the commit, disarmed by a confirmation, else the host reverts itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import commit_confirmed
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.engine import Engine
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult
from engine_harness import control, make_host

BACKUPS = "/var/backups/landingzone"
LOGIN_DEFS = control("config_key", {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365}, "LZ-ACC-001")
ROOT_LOGIN = control("sshd_option", {"option": "PermitRootLogin", "value": "no"}, "LZ-SSH-005")
FIREWALL = control("nftables_ruleset", {"management_networks": ["10.20.0.0/16"]}, "LZ-FW-003")


def apply(system, controls, seconds=30, run_id="run-1"):
    host = make_host(system, run_id=run_id, confirm_seconds=seconds)
    return Engine(host).run(controls, "apply"), host


def run_dir(system, run_id="run-1"):
    return system.root / BACKUPS.lstrip("/") / run_id


def set_committed_at(system, when, run_id="run-1"):
    path = run_dir(system, run_id) / commit_confirmed.STATE
    state = json.loads(path.read_text())
    path.write_text(json.dumps(dict(state, committed_at=when)))


def test_the_timer_is_armed_before_anything_is_replaced(system):
    seen = {}

    def systemd_run(args, env, stdin):
        seen["login.defs at arming"] = system.read("/etc/login.defs")
        seen["args"] = args
        return CommandResult(0, "", "")

    system._systemd_run = systemd_run
    report, host = apply(system, [LOGIN_DEFS])

    assert report["results"][0]["status"] == "fixed"
    assert seen["login.defs at arming"] == "UID_MIN 1000\nPASS_MAX_DAYS 99999\n"
    args = seen["args"]
    assert args[:2] == ["--unit", "landingzone-confirm-run-1"] and "--on-active=30" in args
    assert args[-4:] == [str(run_dir(system) / "revert.py"), str(system.root), BACKUPS, "run-1"]
    assert report["commit_confirmed"] == {"unit": "landingzone-confirm-run-1", "seconds": 30}
    state = json.loads((run_dir(system) / commit_confirmed.STATE).read_text())
    assert state["committed_at"] > time.time() - 60
    engine = run_dir(system) / commit_confirmed.ENGINE_DIR / commit_confirmed.PACKAGE.replace(".", "/")
    expected = sorted(f"{m}.py" for m in commit_confirmed.REVERT_MODULES)
    assert sorted(p.name for p in engine.iterdir()) == ["__init__.py", *expected]


def test_nothing_to_commit_arms_nothing(system):
    apply(system, [LOGIN_DEFS])
    system.armed.clear()
    report, _ = apply(system, [LOGIN_DEFS], run_id="run-2")
    assert system.armed == [] and report["commit_confirmed"] is None


def test_no_timer_no_commit(system):
    system.fail["systemd-run"] = CommandResult(1, "", "Failed to connect to bus")
    report, _ = apply(system, [LOGIN_DEFS])
    result = report["results"][0]
    assert (
        result["status"] == "error" and "could not arm the revert timer: Failed to connect to bus" in result["reason"]
    )
    assert system.read("/etc/login.defs") == "UID_MIN 1000\nPASS_MAX_DAYS 99999\n"


def test_without_confirmation_the_host_reverts_files_firewall_and_sshd(system):
    original_sshd = system.read("/etc/ssh/sshd_config")
    report, host = apply(system, [LOGIN_DEFS, ROOT_LOGIN, FIREWALL])
    assert {r["status"] for r in report["results"]} == {"fixed"}
    system.calls.clear()
    set_committed_at(system, time.time() - 31)

    code = commit_confirmed.revert_main([str(system.root), BACKUPS, "run-1"], runner=system, sleep=lambda s: None)

    assert code == 0
    assert system.read("/etc/login.defs") == "UID_MIN 1000\nPASS_MAX_DAYS 99999\n"
    assert system.read("/etc/ssh/sshd_config.d/00-landingzone.conf") is None
    assert system.read("/etc/ssh/sshd_config") == original_sshd
    assert system.read("/etc/nftables.conf") is None
    # The firewall the run loaded is unloaded again, then sshd reloads the old configuration.
    assert ["nft", "delete", "table", "inet", "landingzone_filter"] in system.calls
    assert ["systemctl", "try-reload-or-restart", "ssh.service"] in system.calls
    reverted = json.loads((run_dir(system) / commit_confirmed.REVERTED).read_text())
    assert "/etc/login.defs" in reverted["restored"] and reverted["errors"] == []

    late = commit_confirmed.confirm(make_host(system), "run-1")
    assert late["confirmed"] is False and late["reverted"] is True


def test_a_confirmation_disarms_the_timer_and_the_revert_does_nothing(system):
    apply(system, [LOGIN_DEFS])
    system.calls.clear()

    outcome = commit_confirmed.confirm(make_host(system), "run-1")

    assert outcome == {"confirmed": True, "reverted": False}
    assert ["systemctl", "stop", "landingzone-confirm-run-1.timer", "landingzone-confirm-run-1.service"] in system.calls
    assert not (run_dir(system) / commit_confirmed.ENGINE_DIR).exists()
    set_committed_at(system, time.time() - 3600)
    assert commit_confirmed.revert_main([str(system.root), BACKUPS, "run-1"], runner=system) == 0
    assert "PASS_MAX_DAYS 365" in system.read("/etc/login.defs")


def test_the_revert_waits_for_the_commit_and_its_full_time(system):
    apply(system, [LOGIN_DEFS], seconds=30)
    waits = []

    def sleep(seconds):
        # A confirmation arrives while the revert waits for the operator's time to pass.
        waits.append(seconds)
        commit_confirmed.confirm(make_host(system), "run-1")

    assert commit_confirmed.revert_main([str(system.root), BACKUPS, "run-1"], runner=system, sleep=sleep) == 0
    assert len(waits) == 1 and 25 < waits[0] <= 30
    assert "PASS_MAX_DAYS 365" in system.read("/etc/login.defs")


def test_a_commit_that_never_finished_is_reverted_at_once(system):
    apply(system, [LOGIN_DEFS])
    set_committed_at(system, None)
    assert commit_confirmed.revert_main([str(system.root), BACKUPS, "run-1"], runner=system, sleep=None) == 0
    assert system.read("/etc/login.defs") == "UID_MIN 1000\nPASS_MAX_DAYS 99999\n"


def test_the_armed_revert_runs_on_its_own_without_ansible(system):
    """revert.py with the engine copy it was armed with, under a bare python3: -S loads no
    site-packages, so neither ansible nor the collection can be imported from anywhere else."""
    apply(system, [LOGIN_DEFS])
    set_committed_at(system, time.time() - 60)
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(run_dir(system) / "revert.py"), str(system.root), BACKUPS, "run-1"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"]},
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "reverted: 1 file(s), 0 error(s)" in done.stdout
    assert system.read("/etc/login.defs") == "UID_MIN 1000\nPASS_MAX_DAYS 99999\n"
