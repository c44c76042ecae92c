"""Whether the staged host firewall lets a new SSH connection from the session's address in.

The baseline owns one table, inet landingzone_filter, written to /etc/nftables.conf by
the nftables_ruleset handler; drop-ins in /etc/nftables.d/ may append rules to its input
chain. This walks that chain for a new TCP connection the way the kernel would: the
first rule that matches decides, then the policy. It understands the expressions the
baseline and its drop-ins use; a drop rule it cannot read counts as one that drops, so
that doubt never commits a firewall that might lock the operator out.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit

FILE = "/etc/nftables.conf"
DROPINS = "/etc/nftables.d/*.nft"
TABLE = "landingzone_filter"
SERVICES = {"ssh": 22}
_TOKENS = re.compile(r'\{[^}]*\}|"[^"]*"|\S+')
IGNORED = {"counter"}
VERDICTS = {"accept", "drop", "reject"}


def input_chain(view):
    """(policy, [rule text]) of the table's input chain in the file plus drop-ins, or None."""
    text = textedit.ensure_text(view.read_text(FILE))
    match = re.search(r"table inet " + TABLE + r" \{(.*?)\n\}", text, re.S)
    if not match:
        return None
    chain = re.search(r"chain input \{(.*?)\n\s*\}", match.group(1), re.S)
    if not chain:
        return None
    policy, rules = "accept", []
    for line in chain.group(1).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("type "):
            found = re.search(r"policy (\w+)", line)
            policy = found.group(1) if found else policy
            continue
        rules.append(line)
    prefix = f"add rule inet {TABLE} input "
    for path in view.glob(DROPINS):
        for line in textedit.ensure_text(view.read_text(path)).splitlines():
            if line.strip().startswith(prefix):
                rules.append(line.strip()[len(prefix) :])
    return policy, rules


def _members(token):
    return [m.strip() for m in token.strip("{}").split(",") if m.strip()]


def _address_in(addr, token):
    for member in _members(token):
        try:
            if addr in ipaddress.ip_network(member, strict=False):
                return True
        except ValueError:
            return None
    return False


def _port_in(port, token):
    for member in _members(token):
        member = str(SERVICES.get(member, member))
        low, _, high = member.partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            return None
        if int(low) <= port <= int(high or low):
            return True
    return False


def _test(key, value, addr, port):
    """Whether one match expression holds for the packet; None when unknown."""
    if key == "ct state":
        return "new" in _members(value)
    if key in ("ip saddr", "ip6 saddr"):
        return False if addr.version != (4 if key == "ip saddr" else 6) else _address_in(addr, value)
    if key in ("tcp dport", "th dport"):
        return _port_in(port, value)
    if key in ("udp dport", "icmp type", "icmpv6 type"):
        return False
    if key in ("meta l4proto", "ip protocol", "ip6 nexthdr"):
        return "tcp" in _members(value)
    if key in ("iif", "iifname"):
        return value.strip('"') != "lo"
    return None


KEYS = {
    "ct": ("state",),
    "ip": ("saddr", "protocol"),
    "ip6": ("saddr", "nexthdr"),
    "tcp": ("dport",),
    "th": ("dport",),
    "udp": ("dport",),
    "icmp": ("type",),
    "icmpv6": ("type",),
    "meta": ("l4proto",),
}


def _matches(tokens, addr, port):
    """(True, False or None when the rule holds something unknown here; its verdict)."""
    verdict_at = next((i for i, t in enumerate(tokens) if t in VERDICTS), None)
    if verdict_at is None:
        return None, None
    result, index = True, 0
    while index < verdict_at:
        word = tokens[index]
        if word in IGNORED:
            index += 1
            continue
        if word in ("iif", "iifname"):
            key, index = word, index + 1
        elif word in KEYS and index + 1 < verdict_at and tokens[index + 1] in KEYS[word]:
            key, index = f"{word} {tokens[index + 1]}", index + 2
        else:
            return None, tokens[verdict_at]
        negate = index < verdict_at and tokens[index] == "!="
        index += 1 if negate or (index < verdict_at and tokens[index] == "==") else 0
        if index >= verdict_at:
            return None, tokens[verdict_at]
        hit = _test(key, tokens[index], addr, port)
        if hit is None:
            return None, tokens[verdict_at]
        result = result and (hit != negate)
        index += 1
    return result, tokens[verdict_at]


def refusal(view, addr, port):
    """Why a new TCP connection from `addr` to `port` would be dropped, or None."""
    chain = input_chain(view)
    if chain is None:
        return None
    policy, rules = chain
    for rule in rules:
        tokens = _TOKENS.findall(rule.split(" comment ", 1)[0])
        hit, verdict = _matches(tokens, addr, port)
        if hit is None and verdict in ("drop", "reject"):
            return f"the firewall rule '{rule}' may drop it and cannot be read to be sure"
        if hit and verdict == "accept":
            return None
        if hit and verdict in ("drop", "reject"):
            return f"the firewall rule '{rule}' drops it"
    if policy == "accept":
        return None
    return f"no rule of the input chain in {FILE} accepts TCP port {port} from {addr} (policy {policy})"
