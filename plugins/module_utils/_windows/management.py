"""The management path: how operators and automation reach a Windows host. It has no switch.

Three catalog controls carry `management_path` (the HTTPS WinRM listener, its firewall rule
from the management networks, Remote Desktop from the management and AVD networks). The
engine always renders them, first, with params it builds from its own arguments; switching
one off, waiving it, or leaving the networks empty is refused with an error that names the
variable, before anything reaches the host.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.errors import ControlError
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
    "identity": "windows_baseline_identity",
}
IDENTITIES = ("entra", "ad", "hybrid")

# User rights through which operators and automation log on: WinRM and SMB are network logons,
# RDP with NLA is a network logon then a remote interactive one, break-glass is interactive.
DENY_LOGON = (
    "SeDenyNetworkLogonRight",
    "SeDenyRemoteInteractiveLogonRight",
    "SeDenyInteractiveLogonRight",
    "SeDenyBatchLogonRight",
)
GRANT_LOGON = ("SeNetworkLogonRight", "SeRemoteInteractiveLogonRight", "SeInteractiveLogonRight")
ADMINISTRATORS = "S-1-5-32-544"
# Denying any of these a logon right denies the management path: Everyone, Authenticated Users,
# NETWORK, REMOTE INTERACTIVE LOGON, Administrators, Users, Remote Desktop Users, Remote Management Users.
NEVER_DENIED = {
    "S-1-1-0": "Everyone",
    "S-1-5-11": "Authenticated Users",
    "S-1-5-2": "NETWORK",
    "S-1-5-14": "REMOTE INTERACTIVE LOGON",
    ADMINISTRATORS: "Administrators",
    "S-1-5-32-545": "Users",
    "S-1-5-32-555": "Remote Desktop Users",
    "S-1-5-32-580": "Remote Management Users",
}
# Local account, and local account and member of Administrators: denying them cuts WinRM with a
# certificate-mapped local account and break-glass RDP with the LAPS account.
LOCAL_ACCOUNTS = {"S-1-5-113", "S-1-5-114"}


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


def domain_account(account, hostname):
    """Whether the account the operators and automation use is a domain account: a UPN, or
    DOMAIN\\name where DOMAIN is neither '.', AzureAD nor this host's own name."""
    account = str(account or "").strip()
    if re.fullmatch(r"[^@\s\\]+@[^@\s\\]+\.[^@\s\\]+", account):
        return True
    match = re.fullmatch(r"([^\\\s]+)\\[^\\\s]+", account)
    short_hostname = str(hostname).split(".", maxsplit=1)[0].lower()
    return bool(match) and match.group(1).lower() not in {".", "azuread", short_hostname}


def _right(control):
    params = control["params"]
    if control["type"] != "security_policy" or params["section"] != "Privilege Rights":
        return None, []
    return params["key"], list(params["value"])


def guard_user_rights(records, identity, management_account, hostname):
    """User rights never deny the management path; denying local accounts waits for AD.

    A right that denies logon to a group the management path needs, or an exact grant of a logon
    right without Administrators, is an error naming the control. Denying local accounts (S-1-5-113,
    S-1-5-114) is not applicable unless the identity is ad and the management account a domain
    account; then it is held back whenever this run itself logs in with a local account.
    Returns (records to run, [(record, reason)] not applicable).
    """
    if identity not in IDENTITIES:
        raise ManagementError(f"{VARIABLES['identity']}: must be one of {', '.join(IDENTITIES)}, got {identity!r}")
    kept, not_applicable = [], []
    for record in records:
        key, sids = _right(record)
        if key in DENY_LOGON:
            denied = sorted(set(sids) & set(NEVER_DENIED))
            if denied:
                names = ", ".join(f"{NEVER_DENIED[sid]} ({sid})" for sid in denied)
                raise ManagementError(
                    f"control {record['id']}: params.value: {key} would deny {names} the logon the management "
                    "path needs"
                )
            if set(sids) & LOCAL_ACCOUNTS:
                if identity != "ad" or not domain_account(management_account, hostname):
                    not_applicable.append(
                        (
                            record,
                            "denying local accounts would cut WinRM with a certificate-mapped local account and "
                            "break-glass RDP: only with identity ad and a domain management account "
                            f"(identity {identity}, management account {management_account or 'not set'})",
                        )
                    )
                    continue
                record = dict(record, breaks_transport=sorted(set(record["breaks_transport"]) | {"local_account"}))
        if key in GRANT_LOGON and record["params"]["compare"] == "sids" and ADMINISTRATORS not in sids:
            raise ManagementError(
                f"control {record['id']}: params.value: {key} granted only to {', '.join(sids) or 'no one'} "
                f"leaves out Administrators ({ADMINISTRATORS}), whom the management path logs on as"
            )
        kept.append(record)
    return kept, not_applicable


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
