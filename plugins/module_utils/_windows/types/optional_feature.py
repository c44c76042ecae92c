"""A Windows optional feature (SMB 1.0, PowerShell 2.0 ...) switched off. Removing a feature
takes effect at the next restart, which the result says."""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import quote

PARAMS = {
    "name": param("str", required=True),
    "state": param("str", default="disabled", choices=("disabled",)),
}
AUDIT_ONLY = False


def validate(control_id, params):
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", params["name"]):
        fail(control_id, "params.name", f"not a feature name: {params['name']!r}")


def expected(params):
    return {"state": "Disabled", "or": "not present"}


def check(params):
    return f"Test-LzwFeatureControl -Name {quote(params['name'])}"


def fix(params):
    return (
        f"$outcome = Disable-WindowsOptionalFeature -Online -FeatureName {quote(params['name'])} -NoRestart\n"
        "@{ reboot = [bool]$outcome.RestartNeeded }"
    )
