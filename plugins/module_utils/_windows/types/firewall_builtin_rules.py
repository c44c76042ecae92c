"""Built-in firewall rules, by their language-independent Name, switched off because a rule of
ours replaces them with a narrower one (RDP and WinRM only from the management networks)."""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import literal

PARAMS = {
    "names": param("list", required=True, elements="str"),
    "enabled": param("bool", default=False, choices=(False,)),
}
AUDIT_ONLY = False


def validate(control_id, params):
    for name in params["names"]:
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name) or name.upper().startswith("LZW-"):
            fail(control_id, "params.names", f"not the name of a built-in rule: {name!r}")


def expected(params):
    return {"enabled": [], "disabled_or_absent": sorted(params["names"])}


def check(params):
    return f"Test-LzwBuiltinRulesControl -Names {literal(params['names'])}"


def fix(params):
    return f"Disable-LzwBuiltinRules -Names {literal(params['names'])}"
