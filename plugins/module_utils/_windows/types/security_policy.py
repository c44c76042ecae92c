"""One setting of the local security policy (password and lockout policy, user rights), read
from and written to it with secedit, as Local Security Policy itself does. User rights compare
by SID: the names secedit exports for some accounts ('Gast' on Dutch Windows) are translated on
the host, and whatever is written back is '*' + SID or a bare name, never '*' + a name."""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import literal, quote

SECTIONS = ("System Access", "Privilege Rights")
COMPARISONS = ("eq", "min", "max", "max_nonzero", "sids", "includes")
SID = re.compile(r"^S-1-\d+(-\d+)+$")

PARAMS = {
    "section": param("str", required=True, choices=SECTIONS),
    "key": param("str", required=True),
    "value": param("value", required=True),
    "compare": param("str", default="eq", choices=COMPARISONS),
}
AUDIT_ONLY = False


def validate(control_id, params):
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", params["key"]):
        fail(control_id, "params.key", f"not a security policy key: {params['key']!r}")
    rights = params["section"] == "Privilege Rights"
    if rights != (params["compare"] in ("sids", "includes")):
        fail(control_id, "params.compare", "user rights compare with sids or includes, other settings with numbers")
    if rights:
        if not isinstance(params["value"], list) or not all(SID.match(str(sid)) for sid in params["value"]):
            fail(control_id, "params.value", "a user right takes a list of SIDs (S-1-5-32-544), [] for no one")
        params["value"] = sorted(params["value"])
    elif isinstance(params["value"], list) or not str(params["value"]).isdigit():
        fail(control_id, "params.value", f"must be a whole number, got {params['value']!r}")
    else:
        params["value"] = int(params["value"])


def expected(params):
    if params["compare"] == "eq":
        return params["value"]
    return {"compare": params["compare"], "value": params["value"]}


def check(params):
    return (
        f"Test-LzwSecurityControl -Section {quote(params['section'])} -Key {quote(params['key'])} "
        f"-Expected {literal(params['value'])} -Compare {quote(params['compare'])}"
    )


def fix(params):
    if params["section"] == "Privilege Rights":
        if params["compare"] == "includes":
            # Add what is missing, keep who else holds the right (by SID: see Add-LzwUserRight).
            return f"Add-LzwUserRight -Key {quote(params['key'])} -Sids {literal(params['value'])}"
        value = ",".join("*" + sid for sid in params["value"])  # every entry a SID (validate)
    else:
        value = str(params["value"])
    return (
        f"Set-LzwSecurityPolicy -Section {quote(params['section'])} -Key {quote(params['key'])} -Value {quote(value)}"
    )
