"""Reading a municipality's Ansible inventory the way Ansible itself does."""

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from landingzone.errors import LandingzoneError


def municipality_dir(fleet: Path, municipality: str) -> Path:
    path = fleet / municipality
    if not (path / "hosts.yml").is_file():
        raise LandingzoneError(f"{path / 'hosts.yml'}: no inventory for municipality {municipality!r}")
    return path


def ansible_env() -> dict:
    """The environment the CLI's own Ansible calls get: none of the caller's ANSIBLE_* settings."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", "/root"),
        # An inventory file Ansible cannot parse is an error here, not a warning.
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
        "ANSIBLE_NOCOLOR": "1",
    }


def ansible_tool(tool: str, *args: str) -> subprocess.CompletedProcess:
    """One of the venv's Ansible commands, run beside the CLI's own Python."""
    command = [str(Path(sys.executable).with_name(tool)), *args]
    # Ansible refuses a non-blocking stdin (a parent run in the background): give it none.
    return subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=ansible_env(), check=False, timeout=120
    )


def problem(result: subprocess.CompletedProcess) -> str:
    """What an Ansible command said on stderr, on one line."""
    return " ".join(line.strip() for line in result.stderr.splitlines() if line.strip())[:600]


def inventory_list(hosts_file: Path) -> dict:
    """`ansible-inventory --list` of one hosts file: its groups with their hosts and children, and _meta."""
    result = ansible_tool("ansible-inventory", "-i", str(hosts_file), "--list")
    if result.returncode != 0:
        raise LandingzoneError(f"{hosts_file}: ansible cannot read this inventory: {problem(result)}")
    return json.loads(result.stdout)


# Ansible's inventory classes share their plugin loader and print through one display:
# one parse at a time, its warnings kept off the operator's terminal.
_IN_PROCESS = threading.Lock()


def read_inventory(hosts_file: Path, limit: str | None = None) -> tuple[dict[str, list[str]], list[str]] | None:
    """Every group of one hosts file with its hosts (its children's included) and the hosts
    of ``all`` that ``limit`` leaves, in Ansible's order; None when Ansible cannot parse the
    file or refuses the limit (then ``ansible-inventory`` or ``ansible --list-hosts`` is asked,
    for its own message naming the problem).

    Ansible's InventoryManager with the same plugins as ``ansible-inventory``, run in this
    process: starting another Python that imports Ansible again is most of what validating
    a municipality would cost.
    """
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader

    with _IN_PROCESS, contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        try:
            inventory = InventoryManager(loader=DataLoader(), sources=[], parse=False)
            if not inventory.parse_source(str(hosts_file)):
                return None
            inventory.reconcile_inventory()
            # As ansible-inventory lists them: a group with neither hosts nor children is left out.
            groups = {
                name: [host.name for host in group.get_hosts()]
                for name, group in inventory.groups.items()
                if group.hosts or group.child_groups or name == "all"
            }
            inventory.subset(limit)
            return groups, [host.name for host in inventory.get_hosts("all")]
        except AnsibleError:
            return None


def inventory_groups(hosts_file: Path) -> dict[str, list[str]]:
    """Every group of one hosts file with its hosts (its children's included), in Ansible's order."""
    read = read_inventory(hosts_file)
    if read is None:
        inventory_list(hosts_file)  # raises with Ansible's own message
        raise LandingzoneError(f"{hosts_file}: ansible cannot read this inventory")
    return read[0]


def hosts_of(data: dict, group: str) -> list[str]:
    """The hosts of a group of an inventory_list, its children's included, each once, in order."""
    hosts: list[str] = []
    pending, seen = [group], set()
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        entry = data.get(name, {})
        hosts += [host for host in entry.get("hosts", []) if host not in hosts]
        pending += entry.get("children", [])
    return hosts


def host_vars(hosts_file: Path) -> dict[str, dict]:
    """Every host of the inventory with its resolved variables."""
    data = inventory_list(hosts_file)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    return {name: hostvars.get(name, {}) for name in hosts_of(data, "all")}
