"""One attack surface reduction rule of Microsoft Defender, by GUID, in the wanted action
(block by default). The rules policy key is read too, so the evidence says when a policy set it."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import quote

ACTIONS = {"block": 1, "audit": 2, "warn": 6}
NAMES = {0: "Disabled", 1: "Block", 2: "Audit", 5: "Not configured", 6: "Warn"}
ADD_MP_ACTIONS = {"block": "Enabled", "audit": "AuditMode", "warn": "Warn"}

PARAMS = {
    "rule": param("guid", required=True),
    "action": param("str", default="block", choices=tuple(ACTIONS)),
}
AUDIT_ONLY = False


def expected(params):
    return NAMES[ACTIONS[params["action"]]]


def check(params):
    return f"Test-LzwAsrControl -Rule {quote(params['rule'])} -Expected {quote(expected(params))}"


def fix(params):
    action = ADD_MP_ACTIONS[params["action"]]
    return (
        f"Add-MpPreference -AttackSurfaceReductionRules_Ids {quote(params['rule'])} "
        f"-AttackSurfaceReductionRules_Actions {action}\n$null = Read-LzwMpPreference -Refresh"
    )
