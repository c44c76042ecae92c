"""card_to_vars: the card as the variables the roles read.

The runner passes these as extra vars, Ansible's highest precedence, so the card wins over
anything in group_vars. That is what makes "a waiver takes effect only from the card" true:
every role with a control catalog gets its ``<role>_waivers`` set, always, to the card's
waivers of its own controls or to none.
"""

import copy
from collections.abc import Mapping

from landingzone.card.workplace import DESK_GROUP_PREFIX, avd_choice, debian_desks_used

# A card whose cyfun_target_level is a level alone was written against CyFun 2023, the only
# edition before 2025; it keeps selecting the controls it selected then.
EDITION_OF_A_BARE_LEVEL = 2023


def card_to_vars(card: dict, control_roles: Mapping[str, str]) -> dict:
    """``control_roles`` maps every known control id to the role whose catalog holds it
    (:func:`landingzone.card.catalogs.catalog_roles`)."""
    card = _plain(card)
    backup = card["backup"]
    edition, level = cyfun_target(card["cyfun_target_level"])
    return {
        "landingzone_municipality": {
            "name": card["name"],
            "display_name": card.get("display_name", card["name"]),
            "nis_code": card["nis_code"],
            "cyfun_target_level": level,
            "cyfun_edition": edition,
            "data_classification": card["data_classification"],
            "contacts": card["contacts"],
        },
        "linux_baseline_level": level,
        "linux_baseline_cyfun_edition": edition,
        "windows_baseline_level": level,
        "windows_baseline_cyfun_edition": edition,
        "linux_baseline_management_networks": card["management_networks"],
        "linux_baseline_ntp_servers": card["ntp_servers"],
        "linux_baseline_log_collector": {"host": card["log_collector"]["host"], "port": card["log_collector"]["port"]},
        **_waivers_per_role(card.get("waivers", []), control_roles),
        "landingzone_services": card.get("services", []),
        "landingzone_suppliers": card.get("suppliers", []),
        # The VPN gateway's networks (playbooks/vpn.yml hands them to the role); none without suppliers.
        **(
            {
                "landingzone_vpn_tunnel_networks": card["vpn"]["tunnel_networks"],
                "landingzone_vpn_service_networks": card["vpn"].get("service_networks", []),
            }
            if "vpn" in card
            else {}
        ),
        "landingzone_backup_retention": backup["retention"],
        # When the backup server takes a snapshot for suspect; the roles' defaults when the card says nothing.
        "landingzone_backup_suspect": backup.get("suspect", {}),
        # An offsite target on the card is used unless it says enabled: false.
        "landingzone_backup_offsite": {"enabled": True, **backup["offsite"]},
        **_identity(card.get("identity")),
        **_workplace(card),
    }


def cyfun_target(value) -> tuple[int, str]:
    """(edition, level) of a checked card's cyfun_target_level: {edition, level}, or a level alone."""
    if isinstance(value, dict):
        return int(value["edition"]), value["level"]
    return EDITION_OF_A_BARE_LEVEL, value


def _identity(identity) -> dict:
    """The hosts' identity as the Windows roles read it: always {default, groups}; nothing when the
    card has none, so the role's own default stands."""
    if identity is None:
        return {}
    if isinstance(identity, str):
        return {"landingzone_identity": {"default": identity, "groups": {}}}
    return {"landingzone_identity": {"default": identity["default"], "groups": dict(identity.get("groups") or {})}}


def _workplace(card: dict) -> dict:
    """The workplace section as the workplace role will read it (``workplace_*``); nothing without one.

    Every default is written out (redirection off, a role's idle lock the workplace's), so that the
    role never guesses. First passwords and TOTP secrets are never on the card: the role reads them
    from the vault variables ``workplace_first_passwords`` and ``workplace_totp_secrets`` (account
    name: secret), which these variables leave out.
    """
    workplace = card.get("workplace")
    if workplace is None:
        return {}
    _, session_hosts = avd_choice(card)
    debian_desks = debian_desks_used(card)
    roles = [
        {
            "name": role["name"],
            "group": DESK_GROUP_PREFIX + role["name"],
            "class4_data": role["class4_data"],
            "clipboard": role.get("clipboard", False),
            "drive_redirection": role.get("drive_redirection", False),
            "idle_lock_minutes": role.get("idle_lock_minutes", workplace["idle_lock_minutes"]),
        }
        for role in workplace["roles"]
    ]
    return {
        "workplace_debian_desks": debian_desks,
        "workplace_desks": workplace["desks"] if debian_desks else 0,
        # The AVD session hosts' inventory group, when identity.avd names one; "" otherwise.
        "workplace_avd_session_hosts": session_hosts or "",
        "workplace_rto_minutes": workplace["rto_minutes"],
        "workplace_data_classification": workplace["data_classification"],
        "workplace_totp_required": workplace["totp_required"],
        "workplace_idle_lock_minutes": workplace["idle_lock_minutes"],
        "workplace_roles": roles,
        "workplace_roster": [
            {
                "name": person["name"],
                "role": person["role"],
                "group": DESK_GROUP_PREFIX + person["role"],
                "services": person["services"],
            }
            for person in workplace["roster"]
        ],
    }


def _waivers_per_role(waivers: list[dict], control_roles: Mapping[str, str]) -> dict:
    per_role: dict[str, list] = {f"{role}_waivers": [] for role in sorted(set(control_roles.values()))}
    for waiver in waivers:
        hosts = [waiver["hosts"]] if isinstance(waiver["hosts"], str) else waiver["hosts"]
        # The card was checked against the same catalogs: every waiver's control has a role.
        per_role[f"{control_roles[waiver['control']]}_waivers"].append(dict(waiver, hosts=hosts))
    return per_role


def _plain(value):
    """A deep copy made of builtin types: decrypted values become ordinary strings, which
    serialise as extra vars like any other, and the caller's card stays untouched."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return str(value)
    return copy.copy(value)
