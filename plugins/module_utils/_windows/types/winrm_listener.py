"""Management path: an HTTPS WinRM listener with a valid certificate, and the WinRM service
starting automatically. Its fix only ever adds or repairs; nothing here removes a listener
or stops the service. Its params come from the engine's arguments, never from the catalog."""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import quote

PARAMS = {
    "port": param("int", default=5986),
    "certificate_thumbprint": param("str", default=""),
}
AUDIT_ONLY = False


def validate(control_id, params):
    if not 1 <= params["port"] <= 65535:
        fail(control_id, "params.port", f"not a port: {params['port']}")
    if params["certificate_thumbprint"] and not re.fullmatch(r"[0-9A-Fa-f]{40}", params["certificate_thumbprint"]):
        fail(control_id, "params.certificate_thumbprint", "must be 40 hex digits (SHA-1 thumbprint)")
    params["certificate_thumbprint"] = params["certificate_thumbprint"].upper()


def expected(params):
    wanted = {"transport": "HTTPS", "port": str(params["port"]), "certificate": "valid, in LocalMachine\\My"}
    wanted["service"] = "Automatic, Running"
    if params["certificate_thumbprint"]:
        wanted["thumbprint"] = params["certificate_thumbprint"]
    return wanted


def check(params):
    return (
        f"Test-LzwListenerControl -Port {quote(str(params['port']))} "
        f"-Thumbprint {quote(params['certificate_thumbprint'])}"
    )


def fix(params):
    return (
        f"Repair-LzwListener -Port {quote(str(params['port']))} -Thumbprint {quote(params['certificate_thumbprint'])}"
    )
