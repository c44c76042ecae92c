"""Reading a municipality's Ansible inventory the way Ansible itself does."""

import json
import subprocess
import sys
from pathlib import Path

from landingzone.errors import LandingzoneError


def municipality_dir(fleet: Path, municipality: str) -> Path:
    path = fleet / municipality
    if not (path / "hosts.yml").is_file():
        raise LandingzoneError(f"{path / 'hosts.yml'}: no inventory for municipality {municipality!r}")
    return path


def host_vars(inventory: Path) -> dict[str, dict]:
    """Every host of the inventory with its resolved variables."""
    command = [str(Path(sys.executable).with_name("ansible-inventory")), "-i", str(inventory), "--list"]
    # Ansible refuses a non-blocking stdin, which an ssh started beside it may leave behind.
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LandingzoneError(f"{inventory}: ansible-inventory could not read it:\n{result.stderr.strip()}")
    data = json.loads(result.stdout)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    return {name: hostvars.get(name, {}) for name in _hosts_of(data, "all")}


def _hosts_of(data: dict, group: str) -> list[str]:
    entry = data.get(group, {})
    hosts = list(entry.get("hosts", []))
    for child in entry.get("children", []):
        hosts.extend(h for h in _hosts_of(data, child) if h not in hosts)
    return hosts
