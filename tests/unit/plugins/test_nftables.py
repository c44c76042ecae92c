"""The firewall never locks the operator out and keeps other roles' drop-ins."""

from __future__ import annotations

import re

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access import session
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers.nftables_ruleset import render
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
    ControlError,
    validate_params,
)
from engine_harness import control, run

PARAMS = {"management_networks": ["10.20.0.0/16"], "ssh_port": 2222}


def rendered(params, client=None, port=None):
    full = {"management_networks": [], "ssh_port": 22, "allowed_inbound": [], "forwarding": False, **params}
    words = [client, "50022", "", str(port or full["ssh_port"])] if client else None
    return render(full, session.parse(words))


def test_ruleset_is_default_deny_with_ssh_from_management():
    text = rendered(PARAMS)
    assert "type filter hook input priority filter; policy drop;" in text
    assert "ip saddr { 10.20.0.0/16 } tcp dport 2222 accept" in text
    assert "ct state established,related accept" in text and 'iif "lo" accept' in text
    assert "type filter hook forward priority filter; policy drop;" in text
    assert text.rstrip().endswith('include "/etc/nftables.d/*.nft"')


def test_current_ssh_client_is_always_allowed(system):
    report, _ = run(
        system, [control("nftables_ruleset", PARAMS)], environ={"SSH_CONNECTION": "198.51.100.7 50022 10.20.0.5 2222"}
    )
    assert report["results"][0]["status"] == "fixed"
    conf = system.read("/etc/nftables.conf")
    assert 'ip saddr 198.51.100.7 tcp dport 2222 accept comment "current operator session"' in conf
    assert report["results"][0]["evidence"]["expected"]["operator_address"] == "198.51.100.7"


def test_ipv6_client_from_ssh_client_variable():
    found = session.parse(session._from_environ({"SSH_CLIENT": "2001:db8::7 50022 22"}))
    assert found.client.version == 6 and found.server_port == 22
    text = rendered({}, str(found.client))
    assert "ip6 saddr 2001:db8::7 tcp dport 22 accept" in text


def test_the_port_the_session_really_uses_stays_open_next_to_the_configured_one():
    # sshd listens on 2222 while the variable still says 22: both stay open until sshd moves.
    text = rendered({"management_networks": ["10.20.0.0/16"]}, "198.51.100.7", port=2222)
    assert "ip saddr { 10.20.0.0/16 } tcp dport { 22, 2222 } accept" in text
    assert 'ip saddr 198.51.100.7 tcp dport 2222 accept comment "current operator session"' in text
    assert "tcp dport { 22 }" not in rendered({"management_networks": ["10.20.0.0/16"]}, "10.20.1.1", port=22)


def test_client_inside_a_management_network_gets_no_extra_rule():
    assert "current operator session" not in rendered(PARAMS, "10.20.3.4")


def test_allowed_inbound_and_forwarding():
    text = rendered(
        {
            "allowed_inbound": [
                {"port": 443, "proto": "tcp", "sources": ["192.0.2.0/24", "2001:db8:1::/48"]},
                {"port": "514", "proto": "udp"},
            ],
            "forwarding": True,
        }
    )
    assert "ip saddr { 192.0.2.0/24 } tcp dport 443 accept" in text
    assert "ip6 saddr { 2001:db8:1::/48 } tcp dport 443 accept" in text
    assert "udp dport 514 accept" in text
    # Forwarding on still drops by default: replies pass, new traffic only from what a role declared.
    assert "type filter hook forward priority filter; policy drop;" in text
    assert "policy accept" not in text.split("chain forward", 1)[1].split("chain output", 1)[0]
    assert "ct state established,related accept\n        ct state invalid drop\n    }" in text


def test_forwarding_takes_new_traffic_only_from_the_declared_sources():
    text = rendered(
        {
            "forwarding": True,
            "forward_from": [
                {"interface": "lzwg0", "comment": "declared by role vpn_gateway"},
                {"ipsec": True, "comment": "declared by role vpn_gateway"},
            ],
        }
    )
    forward = text.split("chain forward {", 1)[1].split("}", 1)[0]
    assert forward.split("\n")[1:-1] == [
        "        type filter hook forward priority filter; policy drop;",
        "        ct state established,related accept",
        "        ct state invalid drop",
        '        iifname "lzwg0" accept comment "declared by role vpn_gateway"',
        '        meta ipsec exists accept comment "declared by role vpn_gateway"',
    ]


def test_without_forwarding_the_forward_chain_drops_everything():
    forward = rendered({}).split("chain forward {", 1)[1].split("}", 1)[0]
    assert forward.strip() == "type filter hook forward priority filter; policy drop;"


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ({"interface": 'lzwg0" accept'}, "forward_from[0].interface"),
        ({"interface": "lzwg0", "ipsec": True}, "forward_from[0]"),
        ({}, "forward_from[0]"),
        ({"interface": "lzwg0", "comment": 'x" drop'}, "forward_from[0].comment"),
        ({"interface": "lzwg0", "via": "eth0"}, "forward_from[0]"),
    ],
)
def test_a_forward_source_that_could_break_out_of_its_rule_is_refused(source, field):
    with pytest.raises(ControlError, match=re.escape(f"params.{field}")):
        validate_params("LZ-FW-003", "nftables_ruleset", {"forwarding": True, "forward_from": [source]})


def test_forward_sources_need_forwarding():
    with pytest.raises(ControlError, match="params.forward_from: needs forwarding: true"):
        validate_params("LZ-FW-003", "nftables_ruleset", {"forward_from": [{"interface": "lzwg0"}]})


def test_dropins_are_never_removed_and_nft_checks_before_loading(system):
    system.write("/etc/nftables.d/50-backup.nft", "add rule inet landingzone_filter input tcp dport 9102 accept\n")
    report, _ = run(system, [control("nftables_ruleset", PARAMS)])

    assert report["results"][0]["status"] == "fixed"
    assert system.read("/etc/nftables.d/50-backup.nft") is not None
    commands = [argv[:2] for argv in system.calls if argv[0] == "nft"]
    assert commands.index(["nft", "-c"]) < commands.index(["nft", "-f"])
    assert ["systemctl", "enable", "nftables.service"] in system.calls


def test_rejected_ruleset_is_not_loaded(system):
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandResult

    system.write("/etc/nftables.conf", "#!/usr/sbin/nft -f\n# old\n", 0o755)
    original = system._nft

    def nft(args, env, stdin):
        if args[0] == "-c":
            return CommandResult(1, "", "Error: syntax error, unexpected newline")
        return original(args, env, stdin)

    system._nft = nft
    report, _ = run(system, [control("nftables_ruleset", PARAMS)])

    assert report["results"][0]["status"] == "error"
    assert "nft -c rejected the candidate" in report["results"][0]["reason"]
    assert system.read("/etc/nftables.conf") == "#!/usr/sbin/nft -f\n# old\n"
    assert not any(argv[:2] == ["nft", "-f"] for argv in system.calls)
