"""The firewall never locks the operator out and keeps other roles' drop-ins."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access import session
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers.nftables_ruleset import render
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
    assert "type filter hook forward priority filter; policy accept;" in text


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
