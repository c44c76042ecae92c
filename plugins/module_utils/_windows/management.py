"""The management path: how operators and automation reach a Windows host. It has no switch.

Three catalog controls carry `management_path` (the HTTPS WinRM listener, its firewall rule
from the management networks, Remote Desktop from the management and AVD networks). The
engine always renders them, first, with params it builds from its own arguments; switching
one off, waiving it, or leaving the networks empty is refused with an error that names the
variable, before anything reaches the host.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import ControlError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.schema import validate_control
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import TYPES

# part -> the type that renders it
PARTS = {"winrm_listener": "winrm_listener", "winrm_firewall": "firewall_rule", "rdp": "rdp_access"}
WINRM_RULE = "LZW-WinRM-HTTPS-In"
VARIABLES = {
    "management_networks": "windows_baseline_management_networks",
    "rdp_networks": "windows_baseline_rdp_networks",
    "winrm_port": "windows_baseline_winrm_port",
    "rdp_port": "windows_baseline_rdp_port",
    "certificate_thumbprint": "windows_baseline_winrm_certificate_thumbprint",
    "disabled": "windows_baseline_disabled_controls",
    "waivers": "windows_baseline_waivers",
}


class ManagementError(ControlError):
    pass


def _networks(name, value, required):
    variable = VARIABLES[name]
    if not isinstance(value, list) or (required and not value):
        problem = "needs at least one CIDR: the management path cannot be closed" if required else "must be a list"
        raise ManagementError(f"{variable}: {problem}, got {value!r}")
    networks = []
    for item in value:
        try:
            networks.append(str(ipaddress.ip_network(str(item), strict=False)))
        except ValueError:
            raise ManagementError(f"{variable}: not a CIDR: {item!r}") from None
    return networks


def _port(name, value):
    if isinstance(value, bool) or not str(value).isdigit() or not 1 <= int(value) <= 65535:
        raise ManagementError(f"{VARIABLES[name]}: must be a TCP port, got {value!r}")
    return int(value)


def check_settings(settings):
    """The engine's management arguments, normalised, or an error naming the role variable."""
    clean = {
        "management_networks": _networks("management_networks", settings.get("management_networks"), True),
        "rdp_networks": _networks("rdp_networks", settings.get("rdp_networks") or [], False),
        "winrm_port": _port("winrm_port", settings.get("winrm_port", 5986)),
        "rdp_port": _port("rdp_port", settings.get("rdp_port", 3389)),
        "certificate_thumbprint": str(settings.get("certificate_thumbprint") or ""),
    }
    return clean


def refuse_switching_off(controls, disabled, waivers):
    """Disabling or waiving a management control is an error, never silently honoured."""
    parts = {control["id"]: control["management_path"] for control in controls if control.get("management_path")}
    for control_id in disabled:
        if control_id in parts:
            raise ManagementError(
                f"{VARIABLES['disabled']}: {control_id} keeps the management path open ({parts[control_id]}); "
                "it has no switch and cannot be disabled"
            )
    for waiver in waivers:
        if isinstance(waiver, dict) and waiver.get("control") in parts:
            raise ManagementError(
                f"{VARIABLES['waivers']}: {waiver['control']} keeps the management path open "
                f"({parts[waiver['control']]}); it cannot be waived"
            )


def _params(part, settings):
    if part == "winrm_listener":
        return {"port": settings["winrm_port"], "certificate_thumbprint": settings["certificate_thumbprint"]}
    if part == "winrm_firewall":
        return {
            "name": WINRM_RULE,
            "display_name": "Landing zone: WinRM over HTTPS from the management networks",
            "protocol": "TCP",
            "port": settings["winrm_port"],
            "remote_addresses": settings["management_networks"],
            "action": "Allow",
        }
    networks = settings["management_networks"] + [
        n for n in settings["rdp_networks"] if n not in settings["management_networks"]
    ]
    return {"port": settings["rdp_port"], "remote_addresses": networks}


def management_controls(controls, settings):
    """The three management controls, params filled from the settings, in a fixed order."""
    by_part = {control["management_path"]: control for control in controls if control.get("management_path")}
    rendered = []
    for part, ctype in PARTS.items():
        control = by_part.get(part)
        if control is None:
            raise ManagementError(
                f"catalog: no control carries management_path: {part}; the management path is incomplete"
            )
        if control["type"] != ctype:
            raise ManagementError(f"control {control['id']}: type: the {part} part is rendered by type {ctype}")
        record = dict(control, params=_params(part, settings), breaks_transport=[])
        rendered.append(validate_control(record, TYPES))
    return rendered
