"""Which supplier roles a municipality's hosts carry, for their waiver requests in the evidence.

The collection's convention is that a supplier role is applied to the inventory group named
after it (playbooks/citizen_portal.yml: ``hosts: citizen_portal``). So the hosts of that group
in the municipality's inventory are the ones whose failing controls show the role's requests.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from landingzone.errors import LandingzoneError


def group_members(hosts_file: Path) -> dict[str, set[str]]:
    """Every group of the inventory with all its hosts, its children's included."""
    command = [str(Path(sys.executable).with_name("ansible-inventory")), "-i", str(hosts_file), "--list"]
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": os.environ.get("HOME", "/root"), "ANSIBLE_NOCOLOR": "1"}
    # Ansible refuses a non-blocking stdin (a parent run in the background): give it none.
    result = subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, check=False, timeout=120
    )
    if result.returncode != 0:
        raise LandingzoneError(f"{hosts_file}: ansible-inventory could not read it: {result.stderr.strip()[:600]}")
    data = json.loads(result.stdout)

    def members(group: str, seen: frozenset = frozenset()) -> set[str]:
        entry = data.get(group, {})
        found = set(entry.get("hosts", []))
        for child in entry.get("children", []):
            if child not in seen:
                found |= members(child, seen | {group})
        return found

    return {group: members(group) for group in data if group != "_meta"}


def requests_by_host(hosts_file: Path, requests: list[dict]) -> dict[str, list[dict]]:
    """{host: the waiver requests of the supplier roles whose group holds it}."""
    if not requests:
        return {}
    groups = group_members(hosts_file)
    by_host: dict[str, list[dict]] = {}
    for request in requests:
        for host in sorted(groups.get(request["role"], ())):
            by_host.setdefault(host, []).append(request)
    return by_host
