"""One setting of a Windows Defender Firewall profile, read from the store the firewall enforces
(ActiveStore); a value group policy sets (RSOP store) is reported as such and left to it."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import quote

SETTINGS = {
    "Enabled": ("True", "False"),
    "DefaultInboundAction": ("Block", "Allow"),
    "DefaultOutboundAction": ("Block", "Allow"),
    "NotifyOnListen": ("True", "False"),
    "LogBlocked": ("True", "False"),
    "LogAllowed": ("True", "False"),
    "LogMaxSizeKilobytes": None,  # a number of kilobytes, at least
}

PARAMS = {
    "profile": param("str", required=True, choices=("Domain", "Private", "Public")),
    "setting": param("str", required=True, choices=tuple(SETTINGS)),
    "value": param("scalar", required=True),
}
AUDIT_ONLY = False


def validate(control_id, params):
    choices = SETTINGS[params["setting"]]
    if params["value"] in ("yes", "no"):
        params["value"] = "True" if params["value"] == "yes" else "False"  # YAML made a bool of it
    if choices is None:
        if not str(params["value"]).isdigit():
            fail(control_id, "params.value", f"{params['setting']} takes a number, got {params['value']!r}")
    elif params["value"] not in choices:
        fail(control_id, "params.value", f"{params['setting']} takes {' or '.join(choices)}, got {params['value']!r}")


def expected(params):
    if SETTINGS[params["setting"]] is None:
        return {"compare": "min", "value": int(params["value"])}
    return params["value"]


def check(params):
    compare = "min" if SETTINGS[params["setting"]] is None else "eq"
    return (
        f"Test-LzwFirewallProfileControl -ProfileName {quote(params['profile'])} -Setting {quote(params['setting'])} "
        f"-Expected {quote(params['value'])} -Compare {quote(compare)}"
    )


def fix(params):
    return f"Set-NetFirewallProfile -Name {quote(params['profile'])} -{params['setting']} {quote(params['value'])}"
