"""Supplier roles: their contract with the landing zone, what is derived from it, and a scaffold.

The contract's schema, loader and derivations live in the collection (plugins/plugin_utils),
where its filters read them with nothing but ansible-core installed; here they are only
re-exported, so the CLI and the collection share one copy.
"""

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.supplier_contract import (
    CONTRACT_FILE,
    Contract,
    ContractError,
    load,
    load_all,
    validate,
)
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.supplier_derivations import (
    annotate_waiver_requests,
    backup_set,
    firewall_dropin,
    health_check,
    health_check_url,
    waiver_requests,
)

__all__ = [
    "CONTRACT_FILE",
    "Contract",
    "ContractError",
    "annotate_waiver_requests",
    "backup_set",
    "firewall_dropin",
    "health_check",
    "health_check_url",
    "load",
    "load_all",
    "validate",
    "waiver_requests",
]
