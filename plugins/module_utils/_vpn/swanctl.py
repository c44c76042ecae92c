"""strongSwan (swanctl) site-to-site connections for suppliers whose firewalls speak only IPsec.

IKEv2 with certificates only, and modern proposals only: AES-256-GCM with a SHA-384 PRF
and ECP-384 for IKE, AES-256-GCM with ECP-384 (PFS) for ESP. Each supplier is pinned to
the certificate on its card; the child SA's traffic selectors are exactly the supplier's
tunnel address on its side and the hosts it may reach on ours (nftables still checks the
ports). The supplier starts the tunnel; the gateway only answers.
"""

from __future__ import annotations

IKE_PROPOSALS = "aes256gcm16-prfsha384-ecp384"
ESP_PROPOSALS = "aes256gcm16-ecp384"
X509_DIR = "/etc/swanctl/x509"
GATEWAY_CERT = "vpn_gateway.crt"
GATEWAY_KEY = "vpn_gateway.key"
UPDOWN = "/usr/local/lib/vpn_gateway/ipsec-updown"


def supplier_cert_file(supplier):
    return f"supplier-{supplier}.crt"


def connection_name(supplier):
    return f"supplier-{supplier}"


def local_traffic_selectors(supplier, local_networks):
    """Our side of a supplier's child SA: the hosts it may reach, or the gateway's own networks.

    ESP in user space (kernel-libipsec) routes a child SA only when the gateway holds an
    address inside each of its local traffic selectors, which a lone internal host never
    is; there the gateway offers its internal networks (``local_networks``) instead, and
    nftables alone narrows the supplier to its hosts and ports."""
    if local_networks:
        return ",".join(local_networks)
    hosts = {f"{rule['address']}/{32 if ':' not in rule['address'] else 128}" for rule in supplier["access"]}
    return ",".join(sorted(hosts))


def render(active, gateway_id, local_networks=()):
    suppliers = sorted((s for s in active if s["protocol"] == "ipsec"), key=lambda s: s["name"])
    lines = ["# Managed by cyberveilig.landingzone (role vpn_gateway): replaced on every run.", "connections {"]
    for supplier in suppliers:
        name = connection_name(supplier["name"])
        local_ts = local_traffic_selectors(supplier, local_networks)
        lines += [
            f"    {name} {{",
            "        version = 2",
            f"        proposals = {IKE_PROPOSALS}",
            "        local_addrs = %any",
            "        remote_addrs = %any",
            "        local {",
            "            auth = pubkey",
            f"            certs = {GATEWAY_CERT}",
            f'            id = "{gateway_id}"',
            "        }",
            "        remote {",
            "            auth = pubkey",
            f"            certs = {supplier_cert_file(supplier['name'])}",
            "        }",
            "        children {",
            f"            {name} {{",
            f"                local_ts = {local_ts}",
            f"                remote_ts = {','.join(supplier['tunnel_addresses'])}",
            f"                esp_proposals = {ESP_PROPOSALS}",
            f"                updown = {UPDOWN}",
            "            }",
            "        }",
            "    }",
        ]
    lines += ["}", ""]
    return "\n".join(lines)


def cert_files(active):
    """{file name under x509/: PEM} of the suppliers' certificates."""
    return {supplier_cert_file(s["name"]): s["certificate"] for s in active if s["protocol"] == "ipsec"}
