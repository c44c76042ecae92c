"""A Windows service's start mode and, optionally, whether it runs. A service that is not
installed satisfies a control that wants it disabled."""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import literal, quote

START_MODES = {"disabled": "Disabled", "manual": "Manual", "automatic": "Automatic"}

PARAMS = {
    "name": param("str", required=True),
    "start_mode": param("str", required=True, choices=tuple(START_MODES)),
    "state": param("str", choices=("stopped", "running")),
}
AUDIT_ONLY = False


def validate(control_id, params):
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", params["name"]):
        fail(control_id, "params.name", f"not a service name: {params['name']!r}")
    if params["start_mode"] == "disabled" and params["state"] == "running":
        fail(control_id, "params.state", "a disabled service cannot be kept running")


def expected(params):
    wanted = {"start_mode": START_MODES[params["start_mode"]]}
    if params["state"]:
        wanted["status"] = params["state"].capitalize()
    if params["start_mode"] == "disabled":
        wanted["or"] = "not installed"
    return wanted


def check(params):
    status = params["state"].capitalize() if params["state"] else ""
    return (
        f"Test-LzwServiceControl -Name {quote(params['name'])} -StartMode {quote(START_MODES[params['start_mode']])} "
        f"-Status {quote(status)} -MissingOk {literal(params['start_mode'] == 'disabled')}"
    )


def fix(params):
    name = quote(params["name"])
    lines = [f"Set-Service -Name {name} -StartupType {START_MODES[params['start_mode']]}"]
    if params["state"] == "stopped" or params["start_mode"] == "disabled":
        lines.append(f"if ((Get-Service -Name {name}).Status -ne 'Stopped') {{ Stop-Service -Name {name} -Force }}")
    elif params["state"] == "running":
        lines.append(f"if ((Get-Service -Name {name}).Status -ne 'Running') {{ Start-Service -Name {name} }}")
    return "\n".join(lines)
