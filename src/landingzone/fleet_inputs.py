"""Everything a fleet command reads, validated before any job starts.

For each selected municipality: its inventory parses and names hosts, the
--limit matches some of them, every vault value opens with the password, and
its card validates against the inventory and the control catalogs. All problems
of all municipalities are reported together, each naming its file and field.
"""

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from landingzone.card import CARD_FILE, card_to_vars, catalog_roles, load_card, secret_values
from landingzone.errors import LandingzoneError
from landingzone.inventory import municipality_dir
from landingzone.runner.job import Municipality
from landingzone.runner.secret_values import municipality_secrets, secret_variable_names

MUNICIPALITY_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def fleet_municipalities(fleet: Path) -> list[str]:
    """Every municipality of a fleet: a directory with a hosts.yml."""
    if not fleet.is_dir():
        raise LandingzoneError(f"{fleet}: --fleet: no such directory")
    return sorted(p.parent.name for p in fleet.glob("*/hosts.yml") if not p.parent.name.startswith("."))


def select(fleet: Path, names: list[str], everything: bool) -> list[str]:
    known = fleet_municipalities(fleet)
    if everything and names:
        raise LandingzoneError("municipalities: name them or give --all, not both")
    if everything:
        if not known:
            raise LandingzoneError(f"{fleet}: --all: the fleet has no municipality (no */hosts.yml)")
        return known
    if not names:
        raise LandingzoneError("municipalities: name at least one, or give --all")
    for name in names:
        if not MUNICIPALITY_NAME.match(name):
            raise LandingzoneError(f"municipalities: {name!r} is not a municipality name (lowercase, digits, -)")
    return list(dict.fromkeys(names))


def _ansible(tool: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", "/root"),
        # An inventory file Ansible cannot parse is an error here, not a warning.
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
        "ANSIBLE_NOCOLOR": "1",
    }
    command = [str(Path(sys.executable).with_name(tool)), *args]
    # Ansible refuses a non-blocking stdin (a parent run in the background): give it none.
    return subprocess.run(
        command, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, check=False, timeout=120
    )


def _problem(result: subprocess.CompletedProcess) -> str:
    return " ".join(line.strip() for line in result.stderr.splitlines() if line.strip())[:600]


def inventory_shape(hosts_file: Path) -> tuple[list[str], set[str]]:
    """The hosts and groups of an inventory, as Ansible itself reads them."""
    result = _ansible("ansible-inventory", "-i", str(hosts_file), "--list")
    if result.returncode != 0:
        raise LandingzoneError(f"{hosts_file}: ansible cannot read this inventory: {_problem(result)}")
    data = json.loads(result.stdout)
    groups = {name for name in data if name != "_meta"}
    hosts: list[str] = []
    pending = ["all"]
    while pending:
        entry = data.get(pending.pop(0), {})
        hosts += [host for host in entry.get("hosts", []) if host not in hosts]
        pending += entry.get("children", [])
    return hosts, groups


def limited_hosts(hosts_file: Path, limit: str) -> list[str]:
    result = _ansible("ansible", "all", "-i", str(hosts_file), "--list-hosts", "--limit", limit)
    if result.returncode != 0:
        if "no hosts to target" in result.stderr:
            return []
        raise LandingzoneError(f"--limit: {limit!r}: {_problem(result)}")
    return [line.strip() for line in result.stdout.splitlines()[1:] if line.strip()]


def _load_one(root, fleet, name, limit, password, secret_names, control_roles) -> Municipality:
    inventory = municipality_dir(fleet, name)
    secrets = municipality_secrets(inventory, password, secret_names)
    # The hosts file, not the directory: Ansible would try to parse the card as an inventory too.
    hosts_file = inventory / "hosts.yml"
    all_hosts, groups = inventory_shape(hosts_file)
    card = load_card(
        inventory / CARD_FILE,
        inventory_hosts=set(all_hosts),
        inventory_groups=groups,
        known_control_ids=set(control_roles),
        vault_secret=password.encode() if password is not None else None,
    )
    return Municipality(
        name=name,
        nis_code=str(card["nis_code"]),
        inventory_dir=inventory,
        hosts=limited_hosts(hosts_file, limit) if limit and all_hosts else all_hosts,
        role_vars=card_to_vars(card, control_roles),
        secrets=secrets | set(secret_values(card)),
        display_name=str(card.get("display_name") or name),
    )


def load_municipalities(
    root: Path, fleet: Path, names: list[str], limit: str | None, password: str | None
) -> list[Municipality]:
    """The selected municipalities, validated; one error listing every problem otherwise.

    A municipality may have no hosts yet (a new one): it validates, and runs skip it.
    """
    secret_names = secret_variable_names(root)
    control_roles = catalog_roles(root)

    def attempt(name: str):
        try:
            return _load_one(root, fleet, name, limit, password, secret_names, control_roles)
        except LandingzoneError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = list(pool.map(attempt, names))
    problems = [str(item) for item in loaded if isinstance(item, LandingzoneError)]
    if problems:
        raise LandingzoneError("\n".join(problems))
    return loaded


def with_hosts(municipalities: list[Municipality], limit: str | None) -> list[Municipality]:
    """The municipalities a run has hosts for; none at all is an input error."""
    runnable = [m for m in municipalities if m.hosts]
    if not runnable:
        where = f"--limit: {limit!r} matches" if limit else "the inventories name"
        raise LandingzoneError(f"{where} no host of {', '.join(m.name for m in municipalities)}")
    return runnable
