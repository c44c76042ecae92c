"""`landingzone lab up|status|down` against real containers: the hosts boot,
the operator gets in over SSH (each host's key checked) and through podman, and
`down` removes exactly what `up` made."""

import json
import subprocess

import pytest
from lab_cli import BIN, ROOT, landingzone, podman, run

FLEET = ROOT / "tests" / "fixtures" / "fleet"


def _ansible_ping(connection: str) -> subprocess.CompletedProcess:
    inventory = str(FLEET / "labtest" / "hosts.yml")
    return run(
        [
            BIN / "ansible",
            "all",
            "-i",
            inventory,
            "-m",
            "ansible.builtin.ping",
            "-e",
            f"ansible_connection={connection}",
        ],
        timeout=120,
    )


@pytest.mark.lab
def test_lab_up_status_down_leaves_nothing_behind():
    # Something that is not the lab's, with a similar name: down must keep it.
    podman("network", "create", "lz-labtest-bystander")
    try:
        up = landingzone(FLEET, "lab", "up", "labtest")
        assert up.returncode == 0, up.stderr + up.stdout
        status = json.loads(landingzone(FLEET, "--json", "lab", "status", "labtest").stdout)
        assert {r["host"] for r in status} == {"labtest-a", "labtest-b"}
        for row in status:
            assert row["container"] == "running"
            assert row["systemd"] in ("running", "degraded")  # auditd cannot run in a container
            assert row["sshd"] == "active"
            assert row["operator_ssh"] is True  # its host key checked against the lab's known_hosts
        assert "@cert-authority * ssh-ed25519 " in (FLEET / "labtest" / "known_hosts").read_text()
        for connection in ("ssh", "containers.podman.podman"):
            ping = _ansible_ping(connection)
            assert ping.returncode == 0, ping.stdout + ping.stderr
            assert ping.stdout.count("SUCCESS") == 2
        assert "debian13" not in podman("exec", "labtest-a", "cat", "/etc/os-release")
        assert "VERSION_CODENAME=trixie" in podman("exec", "labtest-b", "cat", "/etc/os-release")

        # A second `up` changes nothing and still succeeds.
        ids_before = podman("ps", "-q", "--filter", "name=labtest-").split()
        assert landingzone(FLEET, "lab", "up", "labtest").returncode == 0
        assert podman("ps", "-q", "--filter", "name=labtest-").split() == ids_before
    finally:
        down = landingzone(FLEET, "lab", "down", "labtest")
    assert down.returncode == 0, down.stderr
    assert podman("ps", "-a", "-q", "--filter", "label=org.cyberveilig.landingzone.lab=labtest") == ""
    networks = podman("network", "ls", "--format", "{{.Name}}").split()
    assert "lz-labtest" not in networks
    assert "lz-labtest-bystander" in networks
    assert not (ROOT / ".cache" / "lab" / "labtest").exists()
    assert not (FLEET / "labtest" / "known_hosts").exists()
    podman("network", "rm", "lz-labtest-bystander")
