"""How integration tests run the operator's CLI and podman: from the checkout's
virtualenv, with the lab's containers.conf."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
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


def landingzone(fleet: Path, *args: str) -> subprocess.CompletedProcess:
    """`landingzone --fleet FLEET ARGS…`."""
    return run([BIN / "landingzone", "--fleet", str(fleet), *args])


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], env=ENV, capture_output=True, text=True, check=True).stdout
