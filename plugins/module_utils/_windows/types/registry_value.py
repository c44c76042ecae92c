"""A registry value under HKLM, read as Windows applies it: with its type (a REG_SZ "1" is not
the REG_DWORD 1 a policy reads, and the evidence says which it found), a domain policy that owns
the value makes it unfixable here (the next policy refresh would undo a local write), and the
evidence names the policy object that set it."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import literal, quote
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.schema import check_registry_path

KINDS = {
    "dword": "DWord",
    "qword": "QWord",
    "string": "String",
    "expand_string": "ExpandString",
    "multi_string": "MultiString",
}
COMPARISONS = ("eq", "min", "max", "max_nonzero", "in")

PARAMS = {
    "path": param("str", required=True),
    "name": param("str", required=True),
    "value": param("value", required=True),
    "kind": param("str", default="dword", choices=tuple(KINDS)),
    "compare": param("str", default="eq", choices=COMPARISONS),
}
AUDIT_ONLY = False


def validate(control_id, params):
    check_registry_path(control_id, "params.path", params["path"])
    numeric = params["kind"] in ("dword", "qword")
    values = params["value"] if params["compare"] == "in" else [params["value"]]
    if params["compare"] == "in" and not isinstance(params["value"], list):
        fail(control_id, "params.value", "compare 'in' needs a list of accepted values")
    if params["compare"] in ("min", "max", "max_nonzero") and not numeric:
        fail(control_id, "params.compare", f"{params['compare']} compares numbers; kind is {params['kind']}")
    if numeric:
        for value in values:
            if not str(value).isdigit():
                fail(control_id, "params.value", f"a {params['kind']} takes a whole number, got {value!r}")
        if params["compare"] != "in":
            params["value"] = int(params["value"])
        limit = 2**32 if params["kind"] == "dword" else 2**64
        if any(int(value) >= limit for value in values):
            fail(control_id, "params.value", f"out of range for a {params['kind']}")
    if params["kind"] == "multi_string" and not isinstance(params["value"], list):
        fail(control_id, "params.value", "a multi_string takes a list of strings")


def expected(params):
    if params["compare"] == "eq":
        return params["value"]
    return {"compare": params["compare"], "value": params["value"]}


def fix_value(params):
    """The value a fix writes: for a bound, the bound itself; for a choice, the first choice."""
    value = params["value"]
    if params["compare"] == "in":
        value = value[0]
    if params["kind"] in ("dword", "qword"):
        return int(value)
    return value


def check(params):
    return (
        f"Test-LzwRegistryControl -Path {quote(params['path'])} -Name {quote(params['name'])} "
        f"-Expected {literal(params['value'])} -Compare {quote(params['compare'])} -Kind {quote(KINDS[params['kind']])}"
    )


def fix(params):
    return (
        f"Set-LzwRegistry -Path {quote(params['path'])} -Name {quote(params['name'])} "
        f"-Value {literal(fix_value(params))} -Kind {quote(KINDS[params['kind']])}"
    )
