"""One advanced audit policy subcategory, named by its GUID (language independent), raised to at
least the wanted inclusion; a setting that audits more than asked stays as it is."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import literal, quote

SETTINGS = {"success": 1, "failure": 2, "success_and_failure": 3}
# auditpol /backup: 0 not specified, 1 success, 2 failure, 3 both, 4 none.
NAMES = {0: "No Auditing", 1: "Success", 2: "Failure", 3: "Success and Failure", 4: "No Auditing"}

PARAMS = {
    "subcategory": param("guid", required=True),
    "name": param("str", required=True),
    "setting": param("str", required=True, choices=tuple(SETTINGS)),
}
AUDIT_ONLY = False


def expected(params):
    return {"subcategory": params["name"], "includes": NAMES[SETTINGS[params["setting"]]]}


def check(params):
    return f"Test-LzwAuditControl -Guid {quote(params['subcategory'])} -Wanted {SETTINGS[params['setting']]}"


def fix(params):
    wanted = SETTINGS[params["setting"]]
    return (
        f"Set-LzwAuditPolicy -Guid {quote(params['subcategory'])} "
        f"-Success {literal(bool(wanted & 1))} -Failure {literal(bool(wanted & 2))}"
    )
