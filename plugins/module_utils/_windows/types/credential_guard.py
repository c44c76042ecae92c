"""Credential Guard, where the hardware supports it: configured through the Device Guard policy
and running. A host without virtualization support or Secure Boot is not applicable; a
configured host reports the pending restart until Credential Guard runs."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import param

PARAMS = {
    "uefi_lock": param("bool", default=False),
}
AUDIT_ONLY = False


def _flags(params):
    """LsaCfgFlags: 1 on with a UEFI lock (cannot be switched off remotely), 2 on without it."""
    return 1 if params["uefi_lock"] else 2


def expected(params):
    return {"running": True, "LsaCfgFlags": _flags(params)}


def check(params):
    return f"Test-LzwCredentialGuardControl -Flags {_flags(params)}"


def fix(params):
    return f"Set-LzwCredentialGuard -Flags {_flags(params)}"
