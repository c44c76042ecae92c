"""An inbound firewall rule of our own, by its Name, allowing one port from given networks.

The management path (WinRM over HTTPS from the management networks) is one of these; the
engine fills its params from its own arguments, so a catalog edit cannot narrow it away.
"""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import literal, quote

PARAMS = {
    "name": param("str", required=True),
    "display_name": param("str", required=True),
    "protocol": param("str", default="TCP", choices=("TCP", "UDP")),
    "port": param("int", required=True),
    "remote_addresses": param("cidrs", default=[]),
    "action": param("str", default="Allow", choices=("Allow", "Block")),
}
AUDIT_ONLY = False


def validate(control_id, params):
    if not re.fullmatch(r"LZW-[A-Za-z0-9\-]+", params["name"]):
        fail(control_id, "params.name", f"our rules are named LZW-..., got {params['name']!r}")
    if not 1 <= params["port"] <= 65535:
        fail(control_id, "params.port", f"not a port: {params['port']}")


def expected(params):
    return {
        "enabled": "True",
        "action": params["action"],
        "direction": "Inbound",
        "protocol": params["protocol"],
        "local_port": str(params["port"]),
        "remote_addresses": sorted(params["remote_addresses"]) or ["any"],
    }


def check(params):
    return (
        f"Test-LzwFirewallRuleControl -Name {quote(params['name'])} -Action {quote(params['action'])} "
        f"-Protocol {quote(params['protocol'])} -Port {quote(str(params['port']))} "
        f"-Remote {literal(sorted(params['remote_addresses']))}"
    )


def fix(params):
    return (
        f"Set-LzwFirewallRule -Name {quote(params['name'])} -DisplayName {quote(params['display_name'])} "
        f"-Action {quote(params['action'])} -Protocol {quote(params['protocol'])} -Port {quote(str(params['port']))} "
        f"-Remote {literal(sorted(params['remote_addresses']))}"
    )
