"""`landingzone lab up|status|down` against real containers: the hosts boot,
the operator gets in over SSH and through podman, and `down` removes exactly
what `up` made."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLEET = ROOT / "tests" / "fixtures" / "fleet"
BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "CONTAINERS_CONF": str(ROOT / "lab" / "containers.conf"),
    "PATH": f"{BIN}:{os.environ['PATH']}",
    "ANSIBLE_DEPRECATION_WARNINGS": "False",
}


def _landingzone(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "landingzone", "--fleet", str(FLEET), *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def _podman(*args: str) -> str:
    return subprocess.run(["podman", *args], env=ENV, capture_output=True, text=True, check=True).stdout


def _ansible_ping(connection: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            BIN / "ansible",
            "all",
            "-i",
            str(FLEET / "labtest"),
            "-m",
            "ansible.builtin.ping",
            "-e",
            f"ansible_connection={connection}",
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.lab
def test_lab_up_status_down_leaves_nothing_behind():
    # Something that is not the lab's, with a similar name: down must keep it.
    _podman("network", "create", "lz-labtest-bystander")
    try:
        up = _landingzone("lab", "up", "labtest")
        assert up.returncode == 0, up.stderr + up.stdout
        status = json.loads(_landingzone("--json", "lab", "status", "labtest").stdout)
        assert {r["host"] for r in status} == {"labtest-a", "labtest-b"}
        for row in status:
            assert row["container"] == "running"
            assert row["systemd"] in ("running", "degraded")  # auditd cannot run in a container
            assert row["sshd"] == "active"
            assert row["operator_ssh"] is True
        for connection in ("ssh", "containers.podman.podman"):
            ping = _ansible_ping(connection)
            assert ping.returncode == 0, ping.stdout + ping.stderr
            assert ping.stdout.count("SUCCESS") == 2
        assert "debian13" not in _podman("exec", "labtest-a", "cat", "/etc/os-release")
        assert "VERSION_CODENAME=trixie" in _podman("exec", "labtest-b", "cat", "/etc/os-release")

        # A second `up` changes nothing and still succeeds.
        ids_before = _podman("ps", "-q", "--filter", "name=labtest-").split()
        assert _landingzone("lab", "up", "labtest").returncode == 0
        assert _podman("ps", "-q", "--filter", "name=labtest-").split() == ids_before
    finally:
        down = _landingzone("lab", "down", "labtest")
    assert down.returncode == 0, down.stderr
    assert _podman("ps", "-a", "-q", "--filter", "label=org.cyberveilig.landingzone.lab=labtest") == ""
    networks = _podman("network", "ls", "--format", "{{.Name}}").split()
    assert "lz-labtest" not in networks
    assert "lz-labtest-bystander" in networks
    assert not (ROOT / ".cache" / "lab" / "labtest").exists()
    _podman("network", "rm", "lz-labtest-bystander")
