"""Management path: Remote Desktop on, with Network Level Authentication, reachable only from
the management and AVD networks through rules of our own (TCP and UDP). The fix only ever
turns RDP on and opens these rules; a domain policy that denies RDP is reported, not fought.
Its params come from the engine's arguments, never from the catalog."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import literal

RULES = (("LZW-RDP-TCP-In", "TCP"), ("LZW-RDP-UDP-In", "UDP"))

PARAMS = {
    "port": param("int", default=3389),
    "remote_addresses": param("cidrs", required=True),
}
AUDIT_ONLY = False


def validate(control_id, params):
    if not 1 <= params["port"] <= 65535:
        fail(control_id, "params.port", f"not a port: {params['port']}")
    if not params["remote_addresses"]:
        fail(control_id, "params.remote_addresses", "RDP needs at least the management networks")


def _rules():
    return literal([f"{name}:{protocol}" for name, protocol in RULES])


def expected(params):
    return {
        "fDenyTSConnections": 0,
        "UserAuthentication": 1,
        "PortNumber": params["port"],
        "TermService": "not Disabled",
        "rules": {name: sorted(params["remote_addresses"]) for name, _ in RULES},
    }


def check(params):
    return (
        f"Test-LzwRdpControl -Port {params['port']} -Remote {literal(sorted(params['remote_addresses']))} "
        f"-Rules {_rules()}"
    )


def fix(params):
    return (
        f"Set-LzwRdpAccess -Port {params['port']} -Remote {literal(sorted(params['remote_addresses']))} "
        f"-Rules {_rules()}"
    )
