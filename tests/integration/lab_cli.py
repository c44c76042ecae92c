"""How integration tests run the operator's CLI and podman: from the checkout's
virtualenv, with the lab's containers.conf."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LAB_VAULT_PASSWORD = ROOT / "lab" / "demo-vault-password"
ENV = {
    **os.environ,
    "CONTAINERS_CONF": str(ROOT / "lab" / "containers.conf"),
    "PATH": f"{BIN}:{os.environ['PATH']}",
    "ANSIBLE_DEPRECATION_WARNINGS": "False",
}


def run(command: list, timeout: float = 600) -> subprocess.CompletedProcess:
    """A tool of the checkout's virtualenv, from the checkout, bounded in time."""
    return subprocess.run(
        command,
        cwd=ROOT,
        env=ENV,
        # Ansible refuses a non-blocking stdin (ssh leaves ours so): never share it.
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def landingzone(fleet: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """`landingzone --fleet FLEET ARGS…`."""
    return run([BIN / "landingzone", "--fleet", str(fleet), *args], timeout=timeout)


def lab_playbooks(inventory: Path, card_vars: Path, limit: str, extra_vars: dict, *playbooks: str, timeout: float):
    """Playbooks of the collection on a lab municipality's inventory, with its card's variables and
    the lab's vault password; the first backup is the test's own (backup_agent_initial_backup off)."""
    applied = run(
        [
            BIN / "ansible-playbook",
            "-i",
            str(inventory / "hosts.yml"),
            "--vault-password-file",
            str(LAB_VAULT_PASSWORD),
            "-e",
            f"@{card_vars}",
            "-e",
            json.dumps({"backup_agent_initial_backup": False, **extra_vars}),
            "--limit",
            limit,
            *(str(ROOT / "playbooks" / name) for name in playbooks),
        ],
        timeout=timeout,
    )
    assert applied.returncode == 0, applied.stdout[-4000:] + applied.stderr[-2000:]


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], env=ENV, capture_output=True, text=True, check=True).stdout
