"""nftables_ruleset: the host firewall in /etc/nftables.conf, default deny inbound.

SSH stays reachable from the management networks and, always, from the address the
current SSH session comes from, on the port it really uses (which may not be the
configured one yet), so applying the ruleset can never cut off the operator.
Other roles add rules as drop-ins in /etc/nftables.d/*.nft; they are included, never removed.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.session import current_session
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers.service import unit_state
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import (
    PHASE_LIVE,
    PHASE_UNITS,
    Action,
)

PARAMS = {
    "management_networks": param("list", default=[], elements="str"),
    "ssh_port": param("int", default=22),
    "allowed_inbound": param("list", default=[], elements="dict"),
    "forwarding": param("bool", default=False),
    "forward_from": param("list", default=[], elements="dict"),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = (
    "`management_networks`, `ssh_port`, `allowed_inbound`, `forwarding`, `forward_from` (the forward "
    "chain always drops by default)"
)
DOC_MANAGES = "`/etc/nftables.conf` (includes `/etc/nftables.d/*.nft`), validated with `nft -c`, loaded with `nft -f`"


# What may stand inside the quotes of a rendered nft rule: an interface name, a comment.
NFT_INTERFACE = re.compile(r"[A-Za-z0-9_.\-]{1,15}")
NFT_COMMENT = re.compile(r"[A-Za-z0-9 _.,:()/\-]{0,120}")


def validate(control_id, params):
    if not 1 <= params["ssh_port"] <= 65535:
        fail(control_id, "params.ssh_port", f"not a port: {params['ssh_port']}")
    for network in params["management_networks"]:
        try:
            # ipaddress takes anything after % as an IPv6 zone, and str() writes it back into the ruleset.
            ipaddress.ip_network(str(network).replace("%", "/invalid"), strict=False)
        except ValueError:
            fail(control_id, "params.management_networks", f"not a CIDR: {network!r}")
    for index, rule in enumerate(params["allowed_inbound"]):
        where = f"params.allowed_inbound[{index}]"
        unknown = set(rule) - {"port", "proto", "sources", "comment"}
        if unknown:
            fail(control_id, where, f"unknown keys {sorted(unknown)}")
        port = str(rule.get("port", ""))
        if not re.fullmatch(r"\d{1,5}(-\d{1,5})?", port):
            fail(control_id, f"{where}.port", f"must be a port or a range like 8000-8080, got {port!r}")
        if rule.get("proto", "tcp") not in ("tcp", "udp"):
            fail(control_id, f"{where}.proto", f"must be tcp or udp, got {rule.get('proto')!r}")
        sources = rule.get("sources", [])
        if not isinstance(sources, list):
            fail(control_id, f"{where}.sources", "must be a list of CIDRs")
        for source in sources:
            try:
                ipaddress.ip_network(str(source).replace("%", "/invalid"), strict=False)
            except ValueError:
                fail(control_id, f"{where}.sources", f"not a CIDR: {source!r}")
    _validate_forward_from(control_id, params)


def _validate_forward_from(control_id, params):
    """Where new forwarded traffic may come from: an interface, or packets IPsec decrypted."""
    for index, source in enumerate(params["forward_from"]):
        where = f"params.forward_from[{index}]"
        if not isinstance(source, dict):
            fail(control_id, where, "must be a mapping {interface} or {ipsec: true}")
        unknown = set(source) - {"interface", "ipsec", "comment"}
        if unknown:
            fail(control_id, where, f"unknown keys {sorted(unknown)}")
        if ("interface" in source) == (source.get("ipsec") is True):
            fail(control_id, where, "needs exactly one of interface: NAME or ipsec: true")
        if "interface" in source and not NFT_INTERFACE.fullmatch(str(source["interface"])):
            fail(control_id, f"{where}.interface", f"not an interface name: {source['interface']!r}")
        if not NFT_COMMENT.fullmatch(str(source.get("comment", ""))):
            fail(control_id, f"{where}.comment", "letters, digits, spaces and _.,:()/- only")
    if params["forward_from"] and not params["forwarding"]:
        fail(control_id, "params.forward_from", "needs forwarding: true")


FILE = "/etc/nftables.conf"
DROPINS = "/etc/nftables.d/*.nft"
TABLE = "landingzone_filter"
ICMP_TYPES = "echo-request, destination-unreachable, time-exceeded, parameter-problem"
ICMPV6_TYPES = (
    "echo-request, destination-unreachable, packet-too-big, time-exceeded, parameter-problem, "
    "nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query"
)


def _saddr_rules(sources, match):
    """One rule per address family: nft sets cannot mix IPv4 and IPv6."""
    networks = [ipaddress.ip_network(str(s), strict=False) for s in sources]
    rules = []
    for family, keyword in ((4, "ip"), (6, "ip6")):
        # Written from the numbers: str() would carry an IPv6 zone (%anything) into the ruleset.
        members = sorted({str(type(n)((int(n.network_address), n.prefixlen))) for n in networks if n.version == family})
        if members:
            rules.append(f"{keyword} saddr {{ {', '.join(members)} }} {match} accept")
    return rules


def forward_rules(params):
    """A host that routes still drops by default: it forwards replies, and new traffic only
    from what the routing roles declared (each filters that further in its own table)."""
    if not params["forwarding"]:
        return []
    rules = ["ct state established,related accept", "ct state invalid drop"]
    for source in params.get("forward_from") or []:
        match = "meta ipsec exists" if source.get("ipsec") else f'iifname "{source["interface"]}"'
        rules.append(f'{match} accept comment "{source["comment"]}"' if source.get("comment") else f"{match} accept")
    return rules


def _ports(numbers):
    numbers = sorted(set(numbers))
    return str(numbers[0]) if len(numbers) == 1 else "{ " + ", ".join(map(str, numbers)) + " }"


def render(params, session):
    """The ruleset; `session` is the run's own SSH session (access.session.Session) or None."""
    ssh_ports = [params["ssh_port"]]
    if session is not None and session.server_port:
        # sshd may still listen elsewhere than the variable says: the port the session uses stays open.
        ssh_ports.append(session.server_port)
    rules = [
        "ct state established,related accept",
        "ct state invalid drop",
        'iif "lo" accept',
        f"icmp type {{ {ICMP_TYPES} }} accept",
        f"icmpv6 type {{ {ICMPV6_TYPES} }} accept",
    ]
    rules += _saddr_rules(params["management_networks"], f"tcp dport {_ports(ssh_ports)}")
    networks = [ipaddress.ip_network(n, strict=False) for n in params["management_networks"]]
    client = session.client if session is not None else None
    if client is not None and not any(client.version == n.version and client in n for n in networks):
        family = "ip" if client.version == 4 else "ip6"
        port = session.server_port or params["ssh_port"]
        rules.append(f'{family} saddr {client} tcp dport {port} accept comment "current operator session"')
    for entry in params["allowed_inbound"]:
        match = f"{entry.get('proto', 'tcp')} dport {entry['port']}"
        sources = entry.get("sources") or []
        rules += _saddr_rules(sources, match) if sources else [f"{match} accept"]
    lines = [
        "#!/usr/sbin/nft -f",
        "# Managed by cyberveilig.landingzone: local edits are replaced on the next run.",
        f"# Add rules as drop-ins in {DROPINS}; they are included at the end.",
        "",
        "# Replace only our own table: tables of other tools (fail2ban, libvirt) stay.",
        f"table inet {TABLE}",
        f"delete table inet {TABLE}",
        "",
        f"table inet {TABLE} {{",
        "    chain input {",
        "        type filter hook input priority filter; policy drop;",
        *(f"        {rule}" for rule in rules),
        "    }",
        "",
        "    chain forward {",
        "        type filter hook forward priority filter; policy drop;",
        *(f"        {rule}" for rule in forward_rules(params)),
        "    }",
        "",
        "    chain output {",
        "        type filter hook output priority filter; policy accept;",
        "    }",
        "}",
        "",
        f'include "{DROPINS}"',
    ]
    return "\n".join(lines) + "\n"


def check(params, ctx):
    session = current_session(ctx)
    wanted = render(params, session)
    current = ctx.read_text(FILE)
    enablement, _ = unit_state(ctx, "nftables.service")
    loaded = ctx.run(["nft", "list", "table", "inet", TABLE]).ok
    problems = []
    if current != wanted:
        problems.append(f"{FILE} is {'missing' if current is None else 'different'}")
    if enablement != "enabled":
        problems.append(f"nftables.service is {enablement}")
    if not loaded:
        problems.append(f"table inet {TABLE} is not loaded")
    return Finding(
        compliant=not problems,
        found={"file_matches": current == wanted, "service": enablement, "table_loaded": loaded},
        expected={
            "file": FILE,
            "content": wanted,
            "service": "enabled",
            "table_loaded": True,
            "operator_address": str(session.client) if session else None,
            "operator_port": session.server_port if session else None,
        },
        reason="; ".join(problems),
    )


def fix(params, ctx, finding):
    wanted = finding.expected["content"]
    requires = []
    if not finding.found["file_matches"]:
        ctx.tx.stage_text(FILE, wanted, mode=0o755, owner="root", group="root")
        requires = [FILE]
    if requires or not finding.found["table_loaded"]:
        # A rollback restores the file first; this puts the kernel's ruleset back in line with it.
        existed = ctx.tx.files[FILE].original is not None if FILE in ctx.tx.files else True
        undo = ["nft", "-f", ctx.path(FILE)] if existed else ["nft", "delete", "table", "inet", TABLE]
        ctx.tx.add_action(
            Action(
                key=("nft-load",),
                description=f"nft -f {FILE}",
                phase=PHASE_LIVE,
                argv=["nft", "-f", ctx.path(FILE)],
                requires=requires,
                undo=undo,
            )
        )
    if finding.found["service"] != "enabled":
        ctx.tx.add_action(
            Action(
                key=("unit", "nftables.service", "enable"),
                description="systemctl enable nftables.service",
                phase=PHASE_UNITS,
                argv=["systemctl", "enable", "nftables.service"],
            )
        )
