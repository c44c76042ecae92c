"""Everything a fleet command reads, validated before any job starts.

For each selected municipality: its inventory parses and names hosts, the
--limit matches some of them, every vault value opens with the password, and
its card validates against the inventory and the control catalogs. All problems
of all municipalities are reported together, each naming its file and field.
"""

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from landingzone.card import CARD_FILE, card_to_vars, catalog_roles, load_card, read_card, secret_values
from landingzone.errors import LandingzoneError
from landingzone.inventory import ansible_tool, inventory_groups, municipality_dir, problem, read_inventory
from landingzone.inventory_accounts import kept_accounts
from landingzone.inventory_values import check_inventory
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


def inventory_shape(hosts_file: Path) -> tuple[list[str], dict[str, set[str]]]:
    """The hosts of an inventory, and each of its groups with its hosts, as Ansible itself reads them."""
    groups = inventory_groups(hosts_file)
    return groups["all"], {name: set(hosts) for name, hosts in groups.items()}


def limited_hosts(hosts_file: Path, limit: str) -> list[str]:
    read = read_inventory(hosts_file, limit)
    if read is not None:
        return read[1]
    result = ansible_tool("ansible", "all", "-i", str(hosts_file), "--list-hosts", "--limit", limit)
    if result.returncode != 0:
        if "no hosts to target" in result.stderr:
            return []
        raise LandingzoneError(f"--limit: {limit!r}: {problem(result)}")
    return [line.strip() for line in result.stdout.splitlines()[1:] if line.strip()]


def _load_one(root, fleet, name, limit, password, secret_names, control_roles) -> Municipality:
    inventory = municipality_dir(fleet, name)
    # A card that is no YAML (or an alias bomb) fails in milliseconds, before Ansible reads the inventory.
    read_card(inventory / CARD_FILE)
    secrets = municipality_secrets(inventory, password, secret_names)
    # Values that land in rendered files: refused here, before any host, as their encoders would.
    check_inventory(inventory, password)
    # The hosts file, not the directory: Ansible would try to parse the card as an inventory too.
    hosts_file = inventory / "hosts.yml"
    all_hosts, groups = inventory_shape(hosts_file)
    card = load_card(
        inventory / CARD_FILE,
        inventory_hosts=set(all_hosts),
        inventory_groups=set(groups),
        group_hosts=groups,
        known_control_ids=set(control_roles),
        vault_secret=password.encode() if password is not None else None,
        kept_accounts=kept_accounts(inventory, password),
    )
    return Municipality(
        name=name,
        nis_code=str(card["nis_code"]),
        inventory_dir=inventory,
        hosts=limited_hosts(hosts_file, limit) if limit and all_hosts else all_hosts,
        role_vars=card_to_vars(card, control_roles),
        secrets=secrets | set(secret_values(card)),
        display_name=str(card.get("display_name") or name),
        groups=groups,
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
