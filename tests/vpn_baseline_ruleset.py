"""The baseline's firewall on a VPN gateway, as the collection renders it, for the tests that
load it on a real kernel (network namespaces, the lab VM): the firewall control adjusted by
what the vpn_gateway role declares (inventories/demo/group_vars/vpn_gateways, docs/vpn.md),
checked by the engine's parameter schema, rendered by its handler."""

from pathlib import Path

import yaml
from ansible_collections.cyberveilig.landingzone.plugins.filter.controls import select_controls
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers import nftables_ruleset
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import validate_params

CATALOG = Path(__file__).resolve().parents[1] / "roles" / "linux_baseline" / "controls" / "firewall.yml"
DROPINS_LINE = f'include "{nftables_ruleset.DROPINS}"'


def declared(udp_ports=(51820,)) -> dict:
    """The vpn_gateway role's adjustment: forwarding, from its tunnels only, and its UDP ports."""
    return {
        "role": "vpn_gateway",
        "forwarding": True,
        "forward_from": [{"interface": "lzwg0"}, {"interface": "ipsec0"}, {"ipsec": True}],
        "inbound": [{"port": port, "proto": "udp", "sources": []} for port in udp_ports],
    }


def baseline_ruleset(management_networks, udp_ports=(51820,)) -> str:
    """The catalog's own firewall control, its template parameters given as the role would."""
    return host_ruleset(management_networks, [declared(udp_ports)])


def host_ruleset(management_networks, adjustments=()) -> str:
    """The firewall control's ruleset with the roles' declared ``adjustments`` (none: a host whose
    roles open their ports with drop-ins of their own, as the citizen portal does)."""
    catalog = yaml.safe_load(CATALOG.read_text())
    (control,) = [dict(c) for c in catalog["firewall"] if c["id"] == "LZ-FW-003"]
    control["params"] = {
        "management_networks": list(management_networks),
        "ssh_port": 22,
        "allowed_inbound": [],
        "forwarding": False,
    }
    (selected,) = select_controls({"firewall": [control]}, "basic", adjustments=list(adjustments))
    params = validate_params(selected["id"], selected["type"], selected["params"])
    return nftables_ruleset.render(params, None)
