"""BitLocker on the system drive: protection on, fully encrypted, a strong method, a TPM
protector. Audit only: turning BitLocker on needs a decision on where the recovery key is
escrowed (Active Directory or Entra ID), which is the municipality's, not the engine's."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import literal

PARAMS = {
    "encryption_methods": param("list", default=["XtsAes128", "XtsAes256"], elements="str"),
    "require_tpm": param("bool", default=True),
}
AUDIT_ONLY = True
WHY_AUDIT_ONLY = (
    "the engine does not switch BitLocker on: the recovery key escrow (Active Directory or Entra ID) "
    "is decided per municipality; enable it through the provisioning"
)


def expected(params):
    wanted = {"protection": "On", "volume": "FullyEncrypted", "method": params["encryption_methods"]}
    if params["require_tpm"]:
        wanted["protector"] = "Tpm*"
    return wanted


def check(params):
    return (
        f"Test-LzwBitLockerControl -Methods {literal(params['encryption_methods'])} "
        f"-RequireTpm {literal(params['require_tpm'])}"
    )


def fix(params):
    return None
