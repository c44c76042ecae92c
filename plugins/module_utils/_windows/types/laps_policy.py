"""One Windows LAPS setting, read the way LAPS itself reads its policy: the first of its four
policy roots that holds any value is the active one (settings never mix across roots), and a
setting missing from it has its documented default. The evidence names the active root.

A fix writes the group policy root, which is what local group policy writes too; when the
CSP (MDM) or a domain policy object owns the active root, the control is left to that owner.
"""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import quote

# The roots, in the order LAPS reads them, are in Test-LzwLapsControl (scripts/common.ps1).
GROUP_POLICY_ROOT = "HKLM:\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\LAPS"

PARAMS = {
    "setting": param("str", required=True),
    "value": param("int", required=True),
    "compare": param("str", default="eq", choices=("eq", "min", "max", "max_nonzero")),
    "default": param("int", required=True),
}
AUDIT_ONLY = False


def validate(control_id, params):
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", params["setting"]):
        fail(control_id, "params.setting", f"not a LAPS setting name: {params['setting']!r}")


def expected(params):
    if params["compare"] == "eq":
        return params["value"]
    return {"compare": params["compare"], "value": params["value"]}


def check(params):
    return (
        f"Test-LzwLapsControl -Setting {quote(params['setting'])} -Expected {params['value']} "
        f"-Compare {quote(params['compare'])} -Default {params['default']}"
    )


def fix(params):
    return (
        f"Set-LzwRegistry -Path {quote(GROUP_POLICY_ROOT)} -Name {quote(params['setting'])} "
        f"-Value {params['value']} -Kind 'DWord'"
    )
