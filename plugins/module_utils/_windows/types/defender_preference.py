"""One Microsoft Defender Antivirus preference as Get-MpPreference reports it (the effective
value, policy included). With optional policy_path/policy_name the evidence also says whether
a policy sets it; a host where Defender is not the active antivirus is not applicable."""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import literal, quote
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.schema import check_registry_path

PARAMS = {
    "name": param("str", required=True),
    "value": param("value", required=True),
    "compare": param("str", default="eq", choices=("eq", "min", "max")),
    "policy_path": param("str"),
    "policy_name": param("str"),
}
AUDIT_ONLY = False


def validate(control_id, params):
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", params["name"]):
        fail(control_id, "params.name", f"not a Set-MpPreference parameter: {params['name']!r}")
    if (params["policy_path"] is None) != (params["policy_name"] is None):
        fail(control_id, "params.policy_path", "policy_path and policy_name go together")
    if params["policy_path"]:
        check_registry_path(control_id, "params.policy_path", params["policy_path"])


def _value(params):
    value = params["value"]
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def expected(params):
    if params["compare"] == "eq":
        return _value(params)
    return {"compare": params["compare"], "value": params["value"]}


def check(params):
    policy = ""
    if params["policy_path"]:
        policy = f" -PolicyPath {quote(params['policy_path'])} -PolicyName {quote(params['policy_name'])}"
    return (
        f"Test-LzwDefenderControl -Name {quote(params['name'])} -Expected {literal(_value(params))} "
        f"-Compare {quote(params['compare'])}{policy}"
    )


def fix(params):
    return f"""
Set-MpPreference -{params["name"]} {literal(_value(params))}
$null = Read-LzwMpPreference -Refresh
"""
