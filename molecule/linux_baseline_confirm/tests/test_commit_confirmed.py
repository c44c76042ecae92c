"""After a commit nobody can log in after, the host reverts itself and says so."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from stock_access import become_password, login_and_become

EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
ADDRESS = "10.88.231.78"


@pytest.fixture(scope="module")
def result():
    return json.loads((EPHEMERAL / "confirm-result.json").read_text())


def test_the_run_failed_because_no_fresh_login_confirmed_it(result):
    assert result["failed"] is True
    confirm = result["commit_confirmed"]
    assert confirm["confirmed"] is False and confirm["reverted"] is True
    assert confirm["seconds"] == 30
    assert "the host rolled the run back" in result["msg"]
    assert "/etc/ssh/sshd_config.d/00-landingzone.conf" in confirm["revert"]["restored"]


def test_the_results_say_each_fixed_control_was_reverted(result):
    reverted = [r for r in result["results"] if r["reason"].startswith("reverted:")]
    assert reverted and all(r["status"] == "error" for r in reverted)
    assert not [r for r in result["results"] if r["status"] == "fixed"]


def test_the_host_has_its_old_configuration_again(host):
    assert not host.file("/etc/ssh/sshd_config.d/00-landingzone.conf").exists
    assert "denyusers" not in host.check_output("sshd -T")
    assert host.file("/var/backups/landingzone").is_directory
    assert host.run("grep -rl 'reverted_at' /var/backups/landingzone").rc == 0


def test_the_operator_logs_in_afresh_and_becomes_root_again(host):
    logged_in, became_root = login_and_become(EPHEMERAL / "operator_ed25519", "operator", ADDRESS, become_password())
    assert logged_in and became_root


def test_the_revert_timer_is_gone(host, result):
    unit = result["commit_confirmed"]["unit"]
    assert host.run(f"systemctl is-active {unit}.timer").stdout.strip() != "active"
    assert "reverted" in host.check_output(f"journalctl -u {unit}.service --no-pager -q")
