"""Filters that read a supplier role's contract (meta/landingzone.yml) and derive from it.

The contract's schema, loader and derivations live in this collection's plugin_utils, which
the operator's CLI imports as well: one schema and one loader for the filters, the contract
test and the scaffold. They need nothing beyond ansible-core. Every error names the file and
the field, before any host is touched.

The documentation of each filter lives next to this file (``<filter>.yml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ansible.errors import AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils import supplier_derivations
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.supplier_contract import (
    ContractError,
    load,
    validate,
)

# The roles of this collection, for a contract named by its role alone.
COLLECTION_ROLES = Path(__file__).resolve().parents[2] / "roles"


def _contract(value):
    """A Contract from a role directory, a role of this collection (by name), or what supplier_contract returned."""
    try:
        if isinstance(value, Mapping) and "contract" in value and "source" in value:
            return validate(dict(value["contract"]), value["source"])
        if isinstance(value, str):
            return load(COLLECTION_ROLES / value if "/" not in value else Path(value))
    except ContractError as exc:
        raise AnsibleFilterError(str(exc)) from None
    kind = type(value).__name__
    raise AnsibleFilterError(f"expected a role directory or the result of supplier_contract, got {kind}")


def _contracts(values):
    if isinstance(values, (str, Mapping)):
        values = [values]
    return [_contract(value) for value in values]


def supplier_contract(role_dir):
    """The validated contract of the role in `role_dir` (or of this collection's role of that name)."""
    contract = _contract(str(role_dir))
    return {"source": contract.source, "contract": contract.data}


def supplier_firewall_dropin(contract, management_networks, municipality_networks=None):
    """The text of the role's nftables drop-in."""
    try:
        return supplier_derivations.firewall_dropin(
            _contract(contract), list(management_networks), municipality_networks
        )
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


def supplier_backup_set(contracts):
    """{paths, databases, services} of one or several roles, for the backup agent."""
    return supplier_derivations.backup_set(_contracts(contracts))


def supplier_health_check(contract):
    """The health check as the drill and the contract test run it."""
    return supplier_derivations.health_check(_contract(contract))


def supplier_waiver_requests(contracts):
    """[{control, role, justification}] of one or several roles."""
    return supplier_derivations.waiver_requests(_contracts(contracts))


def annotate_waiver_requests(results, requests):
    """Engine results with each waiver request beside its control; statuses unchanged."""
    return supplier_derivations.annotate_waiver_requests(results, requests)


class FilterModule:
    """Supplier role contract filters of cyberveilig.landingzone."""

    def filters(self):
        return {
            "supplier_contract": supplier_contract,
            "supplier_firewall_dropin": supplier_firewall_dropin,
            "supplier_backup_set": supplier_backup_set,
            "supplier_health_check": supplier_health_check,
            "supplier_waiver_requests": supplier_waiver_requests,
            "annotate_waiver_requests": annotate_waiver_requests,
        }
