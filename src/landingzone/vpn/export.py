"""The supplier's side of its tunnel, written from what the gateway handed over.

A WireGuard export holds the gateway's public key and endpoint, the supplier's tunnel
address and the hosts it may reach, and a placeholder where the supplier puts its own
private key (which never left it). The preshared key goes in a separate file, encrypted
with ansible-vault under a handover password the operator gives the supplier by another
channel. An IPsec export is a swanctl configuration: certificates only, no secret at all.
Nothing of the gateway's private key is ever read, so nothing of it can end up here.
"""

import ipaddress
from dataclasses import dataclass

from landingzone.runner.vault import encrypt

PRIVATE_KEY_PLACEHOLDER = "<the supplier's own private key: wg genkey, kept by the supplier>"
PSK_PLACEHOLDER = "<the preshared key: ansible-vault view {file}>"
IKE_PROPOSALS = "aes256gcm16-prfsha384-ecp384"
ESP_PROPOSALS = "aes256gcm16-ecp384"


@dataclass(frozen=True)
class Handover:
    """What the gateway handed over: its public description, and the preshared key (WireGuard).
    Built by landingzone.vpn.gateway_state, which checks every value; ``endpoint`` is a bare
    host name or address (an IPv6 address without brackets)."""

    gateway: str
    public_key: str
    endpoint: str
    listen_port: int
    interface_addresses: tuple[str, ...]
    ipsec_id: str = ""
    certificate: str = ""


def _host_network(address: str) -> str:
    parsed = ipaddress.ip_interface(address).ip
    return f"{parsed}/{32 if parsed.version == 4 else 128}"


def _wg_endpoint(host: str, port: int) -> str:
    """wg's ``host:port``: an IPv6 address goes in brackets, or its colons would run into the port's."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _tunnel_addresses(value) -> list[str]:
    """A card's tunnel address: one CIDR, or a list of them (one per address family)."""
    return list(value) if isinstance(value, list | tuple) else [value]


def _host_networks(access: list[dict]) -> list[str]:
    """The hosts the gateway lets this supplier reach (``access`` as the gateway resolved it)."""
    return sorted({_host_network(rule["address"]) for rule in access})


def wireguard_files(
    municipality: str, supplier: dict, handover: Handover, access: list[dict], psk: str, password: str
) -> dict[str, str]:
    """{file name: content} of a WireGuard supplier's export."""
    vault_name = f"{municipality}-{handover.gateway}.psk.vault"
    allowed = [*(_host_network(address) for address in handover.interface_addresses), *_host_networks(access)]
    vpn = supplier["vpn"]
    lines = [
        f"# WireGuard tunnel of supplier {supplier['name']} to municipality {municipality} ({handover.gateway}).",
        "# Fill in your own private key (its public key is the one on the municipality's card) and the",
        f"# preshared key from {vault_name} (the municipality gives you its password separately).",
        f"# Access ends {supplier['expires']}. Only these may be reached through the tunnel:",
        *(f"#   {rule['host']} ({rule['address']}) {rule['proto']}/{rule['port']}" for rule in access),
        "[Interface]",
        f"Address = {', '.join(_tunnel_addresses(vpn['tunnel_address']))}",
        f"PrivateKey = {PRIVATE_KEY_PLACEHOLDER}",
        "",
        "[Peer]",
        f"PublicKey = {handover.public_key}",
        f"PresharedKey = {PSK_PLACEHOLDER.format(file=vault_name)}",
        f"Endpoint = {_wg_endpoint(handover.endpoint, handover.listen_port)}",
        f"AllowedIPs = {', '.join(allowed)}",
        "PersistentKeepalive = 25",
    ]
    files = {f"{municipality}-{handover.gateway}.conf": "\n".join(lines) + "\n", vault_name: encrypt(password, psk)}
    if vpn.get("next_public_key"):
        rotated = "\n".join(lines).replace(
            f"Address = {', '.join(_tunnel_addresses(vpn['tunnel_address']))}",
            f"Address = {', '.join(_tunnel_addresses(vpn['next_tunnel_address']))}",
        )
        note = "# For the next key (key rotation): switch to this file once the gateway carries the next key.\n"
        files[f"{municipality}-{handover.gateway}.next.conf"] = note + rotated + "\n"
    return files


def ipsec_files(
    municipality: str, supplier: dict, handover: Handover, access: list[dict], gateway_ts: str | None = None
) -> dict[str, str]:
    """{file name: content} of an IPsec supplier's export: a swanctl connection, certificates only.
    ``gateway_ts`` is the gateway's side of the child SA as the gateway has it (by default the hosts)."""
    name = f"{municipality}-{handover.gateway}"
    remote_ts = gateway_ts or ",".join(_host_networks(access))
    text = "\n".join(
        [
            f"# IPsec (IKEv2) tunnel of supplier {supplier['name']} to municipality {municipality}.",
            f"# Put your certificate (the one on the card) as x509/{supplier['name']}.crt and its key under",
            f"# private/, and the gateway's certificate as x509/{name}-gateway.crt. Access ends {supplier['expires']}.",
            "connections {",
            f"    {name} {{",
            "        version = 2",
            f"        proposals = {IKE_PROPOSALS}",
            f"        remote_addrs = {handover.endpoint}",
            "        # Your side starts the tunnel and starts it again when the gateway restarts.",
            "        dpd_delay = 30s",
            "        # ESP in UDP: the gateway's firewall takes IKE and ESP on UDP 500 and 4500 only.",
            "        encap = yes",
            "        local {",
            "            auth = pubkey",
            f"            certs = {supplier['name']}.crt",
            "        }",
            "        remote {",
            "            auth = pubkey",
            f"            certs = {name}-gateway.crt",
            f'            id = "{handover.ipsec_id}"',
            "        }",
            "        children {",
            f"            {name} {{",
            f"                local_ts = {','.join(_tunnel_addresses(supplier['vpn']['tunnel_address']))}",
            f"                remote_ts = {remote_ts}",
            f"                esp_proposals = {ESP_PROPOSALS}",
            "                start_action = start",
            "                dpd_action = restart",
            "                close_action = start",
            "            }",
            "        }",
            "    }",
            "}",
            "",
        ]
    )
    return {f"{name}.swanctl.conf": text, f"{name}-gateway.crt": handover.certificate}
