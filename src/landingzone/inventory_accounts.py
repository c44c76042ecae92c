"""The accounts a municipality's inventory keeps for the landing zone on every host it manages.

The operator's account, the account Ansible connects as and the break-glass account must keep
their access on a desk too (the baseline proves it before it commits). A person of the card's
workplace roster whose name were one of them would have the workplace role set a first password
on that account, so the card refuses such a name (card/workplace.py); this finds the names an
inventory sets, wherever it sets them: hosts.yml (a host's or a group's vars), group_vars, host_vars.
"""

from collections.abc import Iterator
from pathlib import Path

from landingzone.card import CARD_FILE
from landingzone.inventory_values import variables_set
from landingzone.runner.secret_values import VaultText, inventory_files, load_yaml

# Each variable that names a kept account, with what the account is, as a message says it.
ACCOUNT_VARIABLES = {
    "ansible_user": "the account Ansible connects as",
    "linux_baseline_operator_account": "the operator account",
    "linux_baseline_breakglass_account": "the break-glass account",
}


def _named_accounts(data) -> Iterator[tuple[str, str]]:
    """(variable, account) of every account variable set to a plain name in ``data``."""
    for variable, _, value in variables_set(data, ACCOUNT_VARIABLES):
        # A vaulted or templated value names no account the controller can read; the role checks it on the host.
        if isinstance(value, str) and not isinstance(value, VaultText) and "{{" not in value and "{%" not in value:
            yield variable, value


def kept_accounts(municipality_dir: Path, password: str | None) -> dict[str, str]:
    """Account name: what it is and the file that sets it, for every kept account the inventory names.

    The description names the variable and the file, never the keys around it: a host or group name
    in an inventory may hold anything, a newline that would forge a line of the card's error included."""
    kept: dict[str, str] = {}
    for path in inventory_files(municipality_dir):
        if path.name == CARD_FILE:
            continue
        where = str(path.relative_to(municipality_dir))
        where = where if where.isprintable() else repr(where)
        for variable, account in _named_accounts(load_yaml(path, password)):
            kept.setdefault(account, f"{ACCOUNT_VARIABLES[variable]} ({variable} in {where})")
    return kept
