"""Accounts that must be members of a local group (others may be too), compared by SID. Used for
the FSLogix exclude list, which keeps the operators' and the break-glass account's logons off the
profile share: when the share is down, they still log on.

A member is a SID, an account name (DOMAIN\\name, name@domain, .\\name) translated on the host, or
local_administrator, the built-in Administrator (RID 500) whatever it is called, which Windows
LAPS manages. A group that does not exist (FSLogix not installed) fails, and is not created here.
"""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import literal, quote

ACCOUNT = re.compile(r"^(S-1-\d+(-\d+)+|local_administrator|[^\\@\s,]+\\[^\\@\s,]+|[^\\@\s,]+@[^\\@\s,]+)$")

PARAMS = {
    "group": param("str", required=True),
    "members": param("list", required=True, elements="str"),
}
AUDIT_ONLY = False


def validate(control_id, params):
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _.\-]*", params["group"]):
        fail(control_id, "params.group", f"not a local group name: {params['group']!r}")
    if not params["members"]:
        fail(control_id, "params.members", "needs at least one account")
    for member in params["members"]:
        if not ACCOUNT.match(member):
            fail(
                control_id,
                "params.members",
                f"{member!r} is not a SID, DOMAIN\\name, .\\name, name@domain or local_administrator",
            )


def expected(params):
    return {"group": params["group"], "includes": list(params["members"])}


def check(params):
    return f"Test-LzwLocalGroupControl -Group {quote(params['group'])} -Members {literal(params['members'])}"


def fix(params):
    return f"Add-LzwLocalGroupMember -Group {quote(params['group'])} -Members {literal(params['members'])}"
