#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpn_gateway_status
short_description: Report a VPN gateway's suppliers, peers, handshakes and drop counters as evidence
description:
  - Reads the gateway that M(cyberveilig.landingzone.vpn_gateway) configured, without changing anything. It reports
    the WireGuard interface and which implementation runs it, each supplier's peers with their last
    handshake and traffic, its IPsec security associations, the named nftables drop counters, the
    suppliers whose access ended (expired or revoked) and the expiry timers.
  - Returns it as C(landingzone_evidence) (section C(vpn)), which the landingzone CLI stores in the
    run's results.json. No key of any kind is returned, only public keys.
version_added: 0.1.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  interface:
    description: Name of the WireGuard interface.
    type: str
    default: lzwg0
  endpoint:
    description: The endpoint suppliers dial (host:port), recorded with the evidence.
    type: str
    default: ""
requirements:
  - Python 3.11 or later on the target
  - C(wg), C(swanctl) for IPsec suppliers, C(nft) and C(systemctl), as M(cyberveilig.landingzone.vpn_gateway) left them
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
  platform:
    description: Debian 12 and 13.
    platforms: debian
    support: full
"""

EXAMPLES = r"""
- name: Report the gateway's state as evidence
  cyberveilig.landingzone.vpn_gateway_status:
    interface: lzwg0
    endpoint: vpn1.gent.be:51820
  register: vpn_status
"""

RETURN = r"""
landingzone_evidence:
  description:
    - C({section, record}) for the CLI's evidence; the record holds everything below.
    - Its C(verdict) is V(fail) when the WireGuard interface does not exist, V(pass) otherwise.
  returned: always
  type: dict
verdict:
  description: V(pass), or V(fail) when the WireGuard interface does not exist.
  returned: always
  type: str
  sample: pass
interface:
  description: The interface, whether it is up, and C(kernel) or C(userspace) (wireguard-go).
  returned: always
  type: dict
suppliers:
  description:
    - Per supplier carried, its peers (public key, tunnel address, endpoint, last handshake, bytes) and its
      drop counter.
  returned: always
  type: dict
ended:
  description: Suppliers whose access ended, with reason and time.
  returned: always
  type: dict
counters:
  description: Every named counter of the gateway's nftables table, packets and bytes.
  returned: always
  type: dict
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import files, names, wireguard


def counters(module):
    rc, out, _ = module.run_command(["nft", "-j", "list", "counters", "table", "inet", names.TABLE])
    if rc != 0:
        return {}
    found = {}
    for item in json.loads(out).get("nftables", []):
        counter = item.get("counter")
        if counter:
            found[counter["name"]] = {"packets": counter["packets"], "bytes": counter["bytes"]}
    return found


def ipsec_sas(module):
    if not module.get_bin_path("swanctl"):
        return {}
    rc, out, _ = module.run_command(["swanctl", "--list-sas", "--raw"])
    if rc != 0:
        return {}
    established = {}
    for line in out.splitlines():
        # --raw prints one IKE SA per line: "list-sa event {supplier-x {... state=ESTABLISHED ...}}"
        if "state=ESTABLISHED" in line:
            name = line.split("{", 2)[1].strip().split(" ", 1)[0]
            established[name] = "ESTABLISHED"
    return established


def main():
    module = AnsibleModule(
        argument_spec={
            "interface": {"type": "str", "default": "lzwg0"},
            "endpoint": {"type": "str", "default": ""},
        },
        supports_check_mode=True,
    )
    interface = module.params["interface"]
    gateway = files.read_json(names.GATEWAY_FILE, {"suppliers": {}})
    rc, link, _ = module.run_command(["ip", "-d", "-j", "link", "show", "dev", interface])
    rc_dump, dump, _ = module.run_command(["wg", "show", interface, "dump"])
    live = wireguard.parse_dump(dump) if rc_dump == 0 else {}
    rc_pub, public_key, _ = module.run_command(["wg", "show", interface, "public-key"])
    counted = counters(module)
    sas = ipsec_sas(module)
    suppliers = {}
    for name, supplier in sorted(gateway.get("suppliers", {}).items()):
        peers = []
        for key in supplier.get("wireguard_keys", []):
            peer = live.get(key, {})
            peers.append(
                {
                    "public_key": key,
                    "configured": key in live,
                    "allowed_ips": peer.get("allowed_ips", []),
                    "endpoint": peer.get("endpoint"),
                    "latest_handshake": peer.get("latest_handshake", 0),
                    "rx_bytes": peer.get("rx_bytes", 0),
                    "tx_bytes": peer.get("tx_bytes", 0),
                }
            )
        connection = supplier.get("ipsec_connection")
        suppliers[name] = {
            "protocol": supplier.get("protocol"),
            "expires": supplier.get("expires"),
            "peers": peers,
            "ipsec_sa": sas.get(connection, "none") if connection else None,
            "dropped": counted.get(supplier.get("counter"), {"packets": 0, "bytes": 0}),
        }
    record = {
        "interface": {
            "name": interface,
            "up": rc == 0,
            "implementation": wireguard.implementation(link) if rc == 0 else None,
            "public_key": public_key.strip() if rc_pub == 0 else None,
            "endpoint": module.params["endpoint"],
        },
        "suppliers": suppliers,
        "ended": files.read_json(names.ENDED_FILE, {}),
        "rotated": files.read_json(names.ROTATED_FILE, {}),
        "counters": counted,
        # Without its interface the gateway carries no supplier at all; the rest is reported as found.
        "verdict": "pass" if rc == 0 else "fail",
    }
    module.exit_json(changed=False, failed=False, landingzone_evidence={"section": "vpn", "record": record}, **record)


if __name__ == "__main__":
    main()
