#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vpn_gateway
short_description: Configure a WireGuard and IPsec gateway for suppliers, with least-privilege forwarding, in one run
description:
  - Takes the suppliers of the municipality card and makes the gateway carry exactly them, in one module
    execution. It makes a WireGuard peer per WireGuard supplier, a strongSwan (swanctl) IKEv2 connection per IPsec
    supplier, and an nftables table of its own (C(/etc/nftables.d/vpn_gateway.nft)) in which each supplier
    reaches only its listed host, port and protocol; everything else from or into a tunnel is dropped and
    counted in named counters.
  - The gateway's WireGuard private key and one preshared key per supplier are generated on the gateway and
    never returned. Only public keys leave it.
  - WireGuard runs in the kernel where the kernel has it, and as C(wireguard-go) where it has not; the module
    probes the kernel (C(ip link add ... type wireguard)) and reports which one runs.
  - Key rotation. A supplier with C(next_public_key) gets a second peer at C(next_tunnel_address) with the same
    access; once the next key has completed a handshake, the next run removes the old peer.
  - Access ends at the supplier's C(expires) time through a systemd timer on the gateway, and at once for the
    suppliers in O(revoke). A revocation is remembered on the gateway for the key it was made for.
  - Changes reach the running tunnels with C(wg syncconf), C(ip route) and C(swanctl --load-all), never by
    restarting them, so the other suppliers' sessions carry on.
version_added: 0.1.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  suppliers:
    description:
      - The C(suppliers) of the municipality card, each with C(name), C(vpn) (C(protocol), C(tunnel_address),
        C(public_key), C(next_public_key), C(next_tunnel_address) or C(certificate)), C(access) (list of
        C(host), C(port), C(proto)) and C(expires) (ISO 8601 date-time with a time zone).
    type: list
    elements: dict
    default: []
  host_addresses:
    description: The IP address of each inventory host named in an C(access) entry.
    type: dict
    default: {}
  interface:
    description: Name of the WireGuard interface.
    type: str
    default: lzwg0
  tunnel_networks:
    description:
      - The gateway's tunnel networks, an IPv4 one, an IPv6 one, or both. The gateway takes the first address of
        each; every supplier's tunnel address must lie inside the network of its family.
    type: list
    elements: str
    required: true
  management_networks:
    description:
      - The management networks (the card's C(management_networks)). No supplier reaches them but for its own
        host:port pairs, and the tunnel networks must not overlap them.
    type: list
    elements: str
    default: []
  service_networks:
    description: The networks behind the gateway that suppliers' hosts live in; the tunnel networks must not overlap.
    type: list
    elements: str
    default: []
  listen_port:
    description: UDP port WireGuard listens on.
    type: int
    default: 51820
  ipsec_interface:
    description:
      - The interface decrypted IPsec traffic arrives on (C(ipsec0) of strongSwan's kernel-libipsec plugin).
        Empty when no supplier uses IPsec.
    type: str
    default: ipsec0
  ipsec_id:
    description: The gateway's IKE identity (the subject or a subjectAltName of its certificate).
    type: str
    default: ""
  ipsec_local_networks:
    description:
      - The gateway's internal networks offered as the local traffic selectors of every IPsec supplier,
        instead of one selector per host it may reach. Needed with ESP in user space (kernel-libipsec),
        which routes a child SA only when the gateway holds an address in each local selector. nftables
        still limits each supplier to its hosts and ports.
    type: list
    elements: str
    default: []
  endpoint:
    description: The host suppliers dial, recorded in C(/etc/vpn_gateway/gateway.json) for their exported configuration.
    type: str
    default: ""
  revoke:
    description: Suppliers whose access ends now.
    type: list
    elements: str
    default: []
requirements:
  - Python 3.11 or later on the target, a Linux gateway with systemd
  - C(wg) (wireguard-tools), and C(wireguard-go) where the kernel has no WireGuard
  - C(swanctl) (strongSwan) for IPsec suppliers
  - C(nft) (nftables) and C(ip) (iproute2)
attributes:
  check_mode:
    description: Reports every file and live change an apply would make, without making it.
    support: full
  diff_mode:
    description: Before and after of every file it manages; keys in the WireGuard file are never shown.
    support: full
  platform:
    description: Debian 12 and 13 with wireguard-tools, nftables and (for IPsec) strongSwan's swanctl.
    platforms: debian
    support: full
notes:
  - The baseline owns the host firewall; this module only loads its own table. IP forwarding and the inbound
    UDP port are declared as baseline adjustments by the role.
"""

EXAMPLES = r"""
- name: Carry the suppliers of the card
  cyberveilig.landingzone.vpn_gateway:
    suppliers: "{{ landingzone_suppliers }}"
    host_addresses: {demo-app1: 10.231.10.11}
    tunnel_networks: [10.231.200.0/24, "fd00:231:200::/64"]
    management_networks: [10.231.10.0/24]

- name: End a supplier's access now
  cyberveilig.landingzone.vpn_gateway:
    suppliers: "{{ landingzone_suppliers }}"
    host_addresses: {demo-app1: 10.231.10.11}
    tunnel_networks: [10.231.200.0/24, "fd00:231:200::/64"]
    revoke: [civitas-software]
"""

RETURN = r"""
public_key:
  description: The gateway's WireGuard public key (empty in check mode before the key exists).
  returned: always
  type: str
implementation:
  description: C(kernel) or C(userspace) (wireguard-go), as probed on the gateway.
  returned: always
  type: str
suppliers:
  description: Per supplier, its state (C(active), C(rotating), C(rotated), C(expired), C(revoked)) and peers.
  returned: always
  type: dict
changed_files:
  description: The files written (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
live_changes:
  description: What was done (or would be) to the running gateway.
  returned: always
  type: list
  elements: str
"""

import datetime
import ipaddress
import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import (
    addresses,
    files,
    gateway_values,
    names,
    nftables,
    plan,
    swanctl,
    units,
    wireguard,
)


class Gateway:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check = module.check_mode
        self.interface = self.params["interface"]
        self.files = files.FileSet(self.check)
        self.live = []
        self.interface_addresses = []

    def run(self, argv, data=None, check_rc=True):
        rc, out, err = self.module.run_command(argv, data=data, binary_data=True)
        if check_rc and rc != 0:
            self.module.fail_json(msg=f"{' '.join(argv)} failed (rc {rc}): {err.strip() or out.strip()}")
        return rc, out, err

    # --- keys -------------------------------------------------------------------------
    def _secret_file(self, path, command):
        """A key made on the gateway, once; its content is never returned."""
        text = files.read_text(path)
        if text and text.strip():
            return text.strip()
        self.live.append(f"generate {path}")
        if self.check:
            return None
        _, out, _ = self.run(["wg", command])
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        files.atomic_replace(path, out.strip().encode() + b"\n", 0o600, 0, 0)
        return out.strip()

    def keys(self, active, everyone):
        private = self._secret_file(names.private_key_file(self.interface), "genkey")
        public = ""
        if private:
            _, out, _ = self.run(["wg", "pubkey"], data=private)
            public = out.strip()
        psks = {}
        for supplier in active:
            if supplier["protocol"] == "wireguard":
                psks[supplier["name"]] = (
                    self._secret_file(names.psk_file(self.interface, supplier["name"]), "genpsk") or "(made at apply)"
                )
        # Preshared keys of suppliers no longer on the card go; ended ones keep theirs.
        psk_dir = os.path.dirname(names.psk_file(self.interface, "x"))
        if os.path.isdir(psk_dir):
            for entry in sorted(os.listdir(psk_dir)):
                if entry.endswith(".psk") and entry[:-4] not in everyone:
                    self.files.remove(os.path.join(psk_dir, entry))
        return private or "(made at apply)", public, psks

    # --- live state -------------------------------------------------------------------
    def interface_json(self):
        rc, out, _ = self.run(["ip", "-d", "-j", "link", "show", "dev", self.interface], check_rc=False)
        return out if rc == 0 else None

    def live_peers(self):
        rc, out, _ = self.run(["wg", "show", self.interface, "dump"], check_rc=False)
        return wireguard.parse_dump(out) if rc == 0 else {}

    def probe_kernel(self):
        """Whether the kernel has WireGuard: try to make a throwaway interface of that kind."""
        rc, _, _ = self.run(["ip", "link", "add", wireguard.PROBE_INTERFACE, "type", "wireguard"], check_rc=False)
        if rc == 0:
            self.run(["ip", "link", "del", wireguard.PROBE_INTERFACE], check_rc=False)
        return rc == 0

    # --- the whole run ----------------------------------------------------------------
    def networks(self):
        """The tunnel networks, checked against the management and service networks."""
        others = {
            label: [addresses.network(text, f"{label}_networks[{index}]") for index, text in enumerate(texts)]
            for label, texts in (
                ("management", self.params["management_networks"]),
                ("service", self.params["service_networks"]),
            )
        }
        tunnel = addresses.checked_tunnel_networks(self.params["tunnel_networks"], others)
        return tunnel, others["management"]

    def apply(self):
        params = self.params
        now = datetime.datetime.now(datetime.UTC)
        live = self.live_peers()
        try:
            tunnel_networks, management_networks = self.networks()
            decided = plan.build(
                params["suppliers"],
                params["host_addresses"],
                files.read_json(names.ENDED_FILE, {}),
                files.read_json(names.ROTATED_FILE, {}),
                {key: peer["latest_handshake"] for key, peer in live.items()},
                now,
                tunnel_networks,
                revoke=params["revoke"],
            )
        except plan.PlanError as exc:
            self.module.fail_json(msg=str(exc))
        active, ended = decided["active"], decided["ended_suppliers"]
        everyone = {s["name"] for s in active} | {s["name"] for s in ended}
        private, public, psks = self.keys(active, everyone)
        peers = [dict(peer, supplier=s["name"]) for s in active if s["protocol"] == "wireguard" for peer in s["peers"]]
        self.interface_addresses = [f"{addresses.gateway_address(t)}/{t.prefixlen}" for t in tunnel_networks]
        conf = wireguard.render(self.interface_addresses, params["listen_port"], private, peers, psks)
        conf_changed = self.files.ensure(names.wireguard_conf(self.interface), conf, 0o600, shown=wireguard.redact)
        has_ipsec = any(s["protocol"] == "ipsec" for s in active + ended)
        ipsec_interface = params["ipsec_interface"] if has_ipsec else ""
        dropin_changed = self.files.ensure(
            names.DROPIN_FILE,
            nftables.render(active, ended, self.interface, ipsec_interface, tunnel_networks, management_networks),
            0o644,
        )
        self.files.ensure(
            names.GATEWAY_FILE,
            files.as_json(
                {
                    "interface": self.interface,
                    "public_key": public,
                    "endpoint": params["endpoint"],
                    "listen_port": params["listen_port"],
                    "interface_addresses": self.interface_addresses,
                    "ipsec_id": params["ipsec_id"],
                    "wireguard_conf": names.wireguard_conf(self.interface),
                    "dropin": names.DROPIN_FILE,
                    "table": names.TABLE,
                    "suppliers": {s["name"]: self._gateway_record(s) for s in active},
                }
            ),
            0o644,
        )
        self.files.ensure(names.ENDED_FILE, files.as_json(decided["ended"]), 0o644)
        self.files.ensure(names.ROTATED_FILE, files.as_json(decided["rotated"]), 0o644)
        timers_changed = self.timers(active)
        ipsec_changed = self.ipsec_files(active, has_ipsec)
        implementation = self.wireguard_live(conf, conf_changed, peers)
        self.nftables_live(dropin_changed)
        self.timers_live(active, timers_changed)
        self.ipsec_live(active, ended, ipsec_changed, has_ipsec)
        states = {}
        for supplier in active:
            state = "active"
            if len(supplier["peers"]) > 1:
                state = "rotating"
            elif supplier.get("rotated_to"):
                state = "rotated"
            states[supplier["name"]] = {
                "state": state,
                "protocol": supplier["protocol"],
                "peers": [{k: p[k] for k in ("public_key", "tunnel_addresses", "key")} for p in supplier["peers"]],
                "expires": supplier["expires"].isoformat(),
            }
        for supplier in ended:
            states[supplier["name"]] = {
                "state": supplier["ended"]["reason"],
                "protocol": supplier["protocol"],
                "peers": [],
                "ended_at": supplier["ended"]["at"],
                "expires": supplier["expires"].isoformat(),
            }
        changed = bool(self.files.changed or self.live)
        result = {
            "changed": changed,
            "failed": False,
            "public_key": public,
            "implementation": implementation,
            "suppliers": states,
            "changed_files": self.files.changed,
            "live_changes": self.live,
        }
        if self.module._diff:
            result["diff"] = self.files.diffs
        return result

    def _gateway_record(self, supplier):
        """What the end-access script and the status module need to know about a supplier."""
        return {
            "protocol": supplier["protocol"],
            "wireguard_keys": [p["public_key"] for p in supplier["peers"]],
            "chain": names.supplier_chain(supplier["name"]),
            "counter": names.supplier_counter(supplier["name"]),
            "ipsec_connection": swanctl.connection_name(supplier["name"]) if supplier["protocol"] == "ipsec" else None,
            "ipsec_local_ts": (
                swanctl.local_traffic_selectors(supplier, self.params["ipsec_local_networks"])
                if supplier["protocol"] == "ipsec"
                else None
            ),
            "expires": supplier["expires"].isoformat(),
            "wireguard_keys_on_card": [k for k in (supplier["public_key"], supplier["next_public_key"]) if k],
            "certificate_sha256": plan.certificate_fingerprint(supplier["certificate"]),
            "tunnel_addresses": supplier["sources"],
            "access": supplier["access"],
        }

    # --- WireGuard ----------------------------------------------------------------------
    def wireguard_live(self, conf, conf_changed, peers):
        unit = f"wg-quick@{self.interface}.service"
        link = self.interface_json()
        if link is None:
            implementation = "kernel" if self.probe_kernel() else "userspace"
            if implementation == "userspace" and not self.module.get_bin_path("wireguard-go"):
                self.module.fail_json(msg="the kernel has no WireGuard and wireguard-go is not installed")
            self.live.append(f"start {unit} ({implementation})")
            if not self.check:
                self.run(["systemctl", "enable", "--now", unit])
            return implementation
        implementation = wireguard.implementation(link)
        rc, out, _ = self.run(["systemctl", "is-enabled", unit], check_rc=False)
        if out.strip() != "enabled":
            self.live.append(f"enable {unit}")
            if not self.check:
                self.run(["systemctl", "enable", unit])
        live = self.live_peers()
        wanted = {p["public_key"]: p["tunnel_addresses"] for p in peers}
        drift = {k: sorted(v["allowed_ips"]) for k, v in live.items()} != {
            k: sorted(str(ipaddress.ip_network(a, strict=False)) for a in v) for k, v in wanted.items()
        }
        if conf_changed or drift:
            self.live.append(f"wg syncconf {self.interface}")
            if not self.check:
                self.run(["wg", "syncconf", self.interface, "/dev/stdin"], data=wireguard.strip(conf))
        self.routes_live()
        self.address_live()
        return implementation

    def routes_live(self):
        """No route into the tunnel but the connected ones: remove any other (a default route above all)."""
        for family in (4, 6):
            rc, out, _ = self.run(["ip", "-j", f"-{family}", "route", "show", "dev", self.interface], check_rc=False)
            for route in sorted(wireguard.stray_routes(out if rc == 0 else "[]", family)):
                self.live.append(f"ip route del {route} dev {self.interface}")
                if not self.check:
                    self.run(["ip", f"-{family}", "route", "del", route, "dev", self.interface], check_rc=False)

    def address_live(self):
        rc, out, _ = self.run(["ip", "-j", "address", "show", "dev", self.interface], check_rc=False)
        wanted = {ipaddress.ip_interface(address) for address in self.interface_addresses}
        try:
            infos = json.loads(out)[0].get("addr_info", []) if rc == 0 else []
        except (ValueError, IndexError):
            infos = []
        present = {ipaddress.ip_interface(f"{i['local']}/{i['prefixlen']}") for i in infos if "local" in i}
        present = {address for address in present if not address.ip.is_link_local}
        for old in sorted(present - wanted, key=str):
            self.live.append(f"ip address del {old} dev {self.interface}")
            if not self.check:
                self.run(["ip", "address", "del", str(old), "dev", self.interface], check_rc=False)
        for new in sorted(wanted - present, key=str):
            self.live.append(f"ip address replace {new} dev {self.interface}")
            if not self.check:
                self.run(["ip", "address", "replace", str(new), "dev", self.interface])

    # --- nftables -------------------------------------------------------------------------
    def nftables_live(self, dropin_changed):
        loaded = self.run(["nft", "list", "table", "inet", names.TABLE], check_rc=False)[0] == 0
        if dropin_changed or not loaded:
            self.live.append(f"nft -f {names.DROPIN_FILE}")
            if not self.check:
                self.run(["nft", "-c", "-f", names.DROPIN_FILE])
                self.run(["nft", "-f", names.DROPIN_FILE])

    # --- timers ---------------------------------------------------------------------------
    def timers(self, active):
        wanted = units.timer_files(active)
        changed = [path for path, content in wanted.items() if self.files.ensure(path, content, 0o644)]
        for entry in sorted(os.listdir(names.UNIT_DIR)):
            path = os.path.join(names.UNIT_DIR, entry)
            if entry.startswith(names.EXPIRY_TIMER_PREFIX) and entry.endswith(".timer") and path not in wanted:
                if not self.check:
                    self.run(["systemctl", "disable", "--now", entry], check_rc=False)
                self.files.remove(path)
                changed.append(path)
        return changed

    def timers_live(self, active, changed):
        if changed:
            self.live.append("systemctl daemon-reload")
            if not self.check:
                self.run(["systemctl", "daemon-reload"])
        for supplier in active:
            timer = names.expiry_timer(supplier["name"])
            path = f"{names.UNIT_DIR}/{timer}"
            rc, out, _ = self.run(["systemctl", "is-active", timer], check_rc=False)
            running = out.strip() == "active"
            if path in changed or not running:
                self.live.append(f"systemctl enable --now {timer}")
                if not self.check:
                    self.run(["systemctl", "enable", timer])
                    self.run(["systemctl", "restart", timer])

    # --- IPsec ----------------------------------------------------------------------------
    def ipsec_files(self, active, has_ipsec):
        if not has_ipsec and not os.path.exists(names.SWANCTL_FILE):
            return False
        text = swanctl.render(active, self.params["ipsec_id"], self.params["ipsec_local_networks"])
        changed = self.files.ensure(names.SWANCTL_FILE, text, 0o644)
        wanted = swanctl.cert_files(active)
        for file_name, pem in wanted.items():
            changed = self.files.ensure(f"{swanctl.X509_DIR}/{file_name}", pem, 0o644) or changed
        if os.path.isdir(swanctl.X509_DIR):
            for entry in sorted(os.listdir(swanctl.X509_DIR)):
                if entry.startswith("supplier-") and entry not in wanted:
                    changed = self.files.remove(f"{swanctl.X509_DIR}/{entry}") or changed
        return changed

    def ipsec_live(self, active, ended, changed, has_ipsec):
        if not has_ipsec and not changed:
            return
        rc, out, _ = self.run(["systemctl", "is-active", "strongswan.service"], check_rc=False)
        if out.strip() != "active" and not has_ipsec:
            return  # the last IPsec supplier went: its connection goes with the file, nothing runs
        _, enabled, _ = self.run(["systemctl", "is-enabled", "strongswan.service"], check_rc=False)
        if out.strip() != "active" or enabled.strip() != "enabled":
            self.live.append("systemctl enable --now strongswan.service")
            changed = True
            if not self.check:
                self.run(["systemctl", "enable", "--now", "strongswan.service"])
                self.run(["systemctl", "is-active", "--wait", "strongswan.service"], check_rc=False)
        if changed:
            self.live.append("swanctl --load-all")
            if not self.check:
                self.run(["swanctl", "--load-all", "--noprompt"])
        for supplier in ended:
            if supplier["protocol"] != "ipsec":
                continue
            name = swanctl.connection_name(supplier["name"])
            rc, out, _ = self.run(["swanctl", "--list-sas", "--ike", name], check_rc=False)
            if rc == 0 and name in out:
                self.live.append(f"swanctl --terminate --ike {name}")
                if not self.check:
                    self.run(["swanctl", "--terminate", "--ike", name, "--force"], check_rc=False)


def main():
    module = AnsibleModule(
        argument_spec={
            "suppliers": {"type": "list", "elements": "dict", "default": []},
            "host_addresses": {"type": "dict", "default": {}},
            "interface": {"type": "str", "default": "lzwg0"},
            "tunnel_networks": {"type": "list", "elements": "str", "required": True},
            "management_networks": {"type": "list", "elements": "str", "default": []},
            "service_networks": {"type": "list", "elements": "str", "default": []},
            "listen_port": {"type": "int", "default": 51820},
            "ipsec_interface": {"type": "str", "default": "ipsec0"},
            "ipsec_id": {"type": "str", "default": ""},
            "ipsec_local_networks": {"type": "list", "elements": "str", "default": []},
            "endpoint": {"type": "str", "default": ""},
            "revoke": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    module.run_command_environ_update = {"LC_ALL": "C"}
    try:
        module.params.update(gateway_values.checked(module.params))
    except addresses.AddressError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**Gateway(module).apply())


if __name__ == "__main__":
    main()
