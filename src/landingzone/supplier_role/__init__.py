"""Supplier roles: their contract with the landing zone, what is derived from it, and a scaffold."""

from landingzone.supplier_role.contract import CONTRACT_FILE, Contract, ContractError, load, load_all, validate
from landingzone.supplier_role.derive import (
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
