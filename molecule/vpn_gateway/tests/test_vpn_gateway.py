"""The WireGuard gateway, for real: only each supplier's own pairs, over IPv4 and IPv6; rotation,
expiry and revocation.

Two suppliers' tunnels live in the supplier container (converge.yml routes each one's packets
into its own tunnel). Every attempt is a real TCP connect or UDP echo with a short timeout (a
dropped packet is a timeout, not a refusal), and every target listens, so a refused attempt
was refused by the gateway: each refused path is read from its named counter, once per family.

The tests run in file order; the later ones run the gateway engine again with the card
edited (a second key, an expiry, a revocation, a tunnel address that would take a network),
as the role would after the operator edited the card.
"""

import datetime
import json
import math
import re
import time
from pathlib import Path

import pytest
import vpn_testinfra
from vpn_testinfra import address, host, reach, refused_and_counted, wait_for

GATEWAY, SUPPLIERS, APP1, APP2 = "lz-vpn-gw", "lz-vpn-supplier", "lz-vpn-app1", "lz-vpn-app2"
INTERFACE = "lzwgtest0"
TUNNEL_NETWORKS = ["10.231.201.0/24", "fd00:231:201::/64"]
GATEWAY_TUNNEL = {4: "10.231.201.1", 6: "fd00:231:201::1"}
ACME = {4: "10.231.201.2", 6: "fd00:231:201::2"}
ACME_NEXT = {4: "10.231.201.3", 6: "fd00:231:201::3"}
BETA = {4: "10.231.201.5", 6: "fd00:231:201::5"}
MANAGEMENT = {4: "10.231.209.2", 6: "fd00:231:209::2"}
INSIDE = {4: "10.231.208.11", 6: "fd00:231:208::11"}
ACME_COUNTER, BETA_COUNTER = "supplier_acme_support_dropped", "supplier_beta_software_dropped"
FAMILIES = pytest.mark.parametrize("family", vpn_testinfra.FAMILIES, ids=["ipv4", "ipv6"])
SCENARIO = Path(__file__).resolve().parents[1]
# Where the rotation's packet count is written for the report (tests/output is not tracked).
MEASUREMENTS = SCENARIO.parents[1] / "tests" / "output" / "vpn_gateway_measurements.json"
CONVERGE_SECONDS = []


def addresses(name):
    return {family: address(name, family) for family in vpn_testinfra.FAMILIES}


APPS = {APP1: addresses(APP1), APP2: addresses(APP2)}
GATEWAY_OUTSIDE = addresses(GATEWAY)


def card(rotate=False, expires="2099-12-31T23:00:00+01:00", acme_tunnel=None):
    """The scenario's card (converge.yml), edited as an operator would."""
    acme = {
        "protocol": "wireguard",
        "public_key": supplier_key("current"),
        "tunnel_address": acme_tunnel or [f"{ACME[4]}/32", f"{ACME[6]}/128"],
    }
    if rotate:
        following = [f"{ACME_NEXT[4]}/32", f"{ACME_NEXT[6]}/128"]
        acme.update(next_public_key=supplier_key("next"), next_tunnel_address=following)
    return [
        {
            "name": "acme-support",
            "contact": "support@acme.invalid",
            "vpn": acme,
            "access": [{"host": APP1, "port": 8443, "proto": "tcp"}, {"host": APP1, "port": 5353, "proto": "udp"}],
            "expires": expires,
        },
        {
            "name": "beta-software",
            "contact": "support@beta.invalid",
            "vpn": {
                "protocol": "wireguard",
                "public_key": supplier_key("beta"),
                "tunnel_address": [f"{BETA[4]}/32", f"{BETA[6]}/128"],
            },
            "access": [{"host": APP2, "port": 8443, "proto": "tcp"}],
            "expires": "2099-12-31T23:00:00+01:00",
        },
    ]


def engine_args(suppliers, revoke=()):
    return {
        "suppliers": suppliers,
        "host_addresses": {name: [found[4], found[6]] for name, found in APPS.items()},
        "interface": INTERFACE,
        "tunnel_networks": TUNNEL_NETWORKS,
        "management_networks": ["10.231.209.0/24", "fd00:231:209::/64"],
        "endpoint": GATEWAY,
        "revoke": list(revoke),
    }


def converge(rotate=False, expires="2099-12-31T23:00:00+01:00", revoke=()):
    """The gateway engine again, as the role calls it, with the card edited as an operator would.

    One module execution (ad hoc, through the scenario's inventory) rather than the whole
    converge playbook: the role around it was converged and proven idempotent already, and
    this keeps each step of these tests to a few seconds."""
    started = time.monotonic()
    vpn_testinfra.run_module(GATEWAY, "cyberveilig.landingzone.vpn_gateway", engine_args(card(rotate, expires), revoke))
    took = round(time.monotonic() - started, 1)
    CONVERGE_SECONDS.append(took)
    return took


def acme_reaches(target, port, proto="tcp", family=4):
    """From acme-support's own tunnel address, as its staff would connect."""
    return reach(SUPPLIERS, [(target, port, proto, ACME[family])]) == [True]


def gateway_peers():
    return set(host(GATEWAY).check_output(f"wg show {INTERFACE} peers").split())


def supplier_key(which):
    return host(SUPPLIERS).file(f"/etc/wireguard/{which}.pub").content_string.strip()


def record(key, value):
    MEASUREMENTS.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(MEASUREMENTS.read_text()) if MEASUREMENTS.exists() else {}
    data[key] = value
    MEASUREMENTS.write_text(json.dumps(data, indent=2) + "\n")


def test_gateway_runs_wireguard_go_where_the_kernel_has_none():
    gateway = host(GATEWAY)
    assert "tun" in gateway.check_output(f"ip -d link show {INTERFACE}")
    assert gateway.run("pgrep -x wireguard-go").rc == 0
    assert gateway.service(f"wg-quick@{INTERFACE}").is_enabled


def test_private_keys_stay_where_they_were_made():
    gateway, supplier = host(GATEWAY), host(SUPPLIERS)
    key = gateway.file(f"/etc/wireguard/{INTERFACE}.key")
    assert key.mode == 0o600 and key.user == "root"
    private = key.content_string.strip()
    assert private not in supplier.file("/etc/wireguard/wgsupa0.conf").content_string
    psk = gateway.file(f"/etc/wireguard/{INTERFACE}.psk.d/acme-support.psk")
    assert psk.mode == 0o600
    # The gateway holds only the suppliers' public keys.
    for which in ("current", "beta"):
        supplier_private = supplier.file(f"/etc/wireguard/{which}.key").content_string.strip()
        found = gateway.run(f"grep -rqF -- '{supplier_private}' /etc/wireguard /etc/vpn_gateway /var/lib/vpn_gateway")
        assert found.rc == 1


@FAMILIES
def test_tunnels_come_up_with_a_handshake(family):
    supplier = host(SUPPLIERS)
    for source in (ACME[family], BETA[family]):
        assert supplier.run(f"ping -{family} -c 2 -W 2 -I {source} {GATEWAY_TUNNEL[family]}").rc == 0
    handshakes = host(GATEWAY).check_output(f"wg show {INTERFACE} latest-handshakes").split()
    assert len(handshakes) == 4 and all(int(value) > 0 for value in handshakes[1::2])


def both(attempts):
    """The attempts ``attempts(family)`` makes, over IPv4 and IPv6 at once."""
    return [attempt for family in vpn_testinfra.FAMILIES for attempt in attempts(family)]


def test_each_supplier_reaches_its_own_pairs_over_both_families():
    acme = both(lambda f: [(APPS[APP1][f], 8443, "tcp", ACME[f]), (APPS[APP1][f], 5353, "udp", ACME[f])])
    assert reach(SUPPLIERS, acme) == [True] * len(acme)
    beta = both(lambda f: [(APPS[APP2][f], 8443, "tcp", BETA[f])])
    assert reach(SUPPLIERS, beta) == [True] * len(beta)


# Each refused path below is tried over IPv4 and IPv6 in one go, and read from its counter.


def test_a_supplier_cannot_reach_another_suppliers_hosts():
    acme = both(lambda f: [(APPS[APP2][f], 8443, "tcp", ACME[f])])
    refused_and_counted(GATEWAY, ACME_COUNTER, SUPPLIERS, acme)
    beta = both(lambda f: [(APPS[APP1][f], 8443, "tcp", BETA[f])])
    refused_and_counted(GATEWAY, BETA_COUNTER, SUPPLIERS, beta)


def test_a_supplier_cannot_reach_a_host_port_it_was_not_given():
    attempts = both(
        lambda f: (
            [(APPS[APP1][f], 22, "tcp", ACME[f]), (APPS[APP1][f], 8443, "udp", ACME[f])]
            + [(APPS[APP2][f], 5353, "udp", ACME[f])]
        )
    )
    refused_and_counted(GATEWAY, ACME_COUNTER, SUPPLIERS, attempts)


def test_a_supplier_cannot_reach_another_supplier():
    # beta-software's tunnel address answers SSH in the supplier container, were it ever reached.
    attempts = both(lambda f: [(BETA[f], 22, "tcp", ACME[f])])
    refused_and_counted(GATEWAY, "vpn_supplier_to_supplier_dropped", SUPPLIERS, attempts)


def test_a_supplier_cannot_reach_the_management_network():
    attempts = both(lambda f: [(MANAGEMENT[f], 8443, "tcp", ACME[f]), (MANAGEMENT[f], 5353, "udp", ACME[f])])
    refused_and_counted(GATEWAY, "vpn_to_management_dropped", SUPPLIERS, attempts)


def test_a_supplier_cannot_reach_the_gateway_itself_through_its_tunnel():
    attempts = both(lambda f: [(GATEWAY_TUNNEL[f], 22, "tcp", ACME[f])])
    refused_and_counted(GATEWAY, "vpn_to_gateway_dropped", SUPPLIERS, attempts)


def test_the_outside_interface_reaches_nothing_inside():
    """The supplier container without its tunnels, sending to a network the gateway routes."""
    attempts = both(lambda f: [(INSIDE[f], 8443, "tcp"), (INSIDE[f], 5353, "udp")])
    refused_and_counted(GATEWAY, "vpn_not_from_tunnel_dropped", SUPPLIERS, attempts)


def test_a_suppliers_tunnel_address_outside_its_tunnel_reaches_nothing():
    """acme-support's own address, sent beside the tunnel: to the gateway itself and through it."""
    attempts = both(lambda f: [(GATEWAY_OUTSIDE[f], 22, "tcp", ACME[f]), (INSIDE[f], 8443, "tcp", ACME[f])])
    refused_and_counted(GATEWAY, "vpn_tunnel_source_outside_dropped", SUPPLIERS, attempts)


def test_internal_hosts_cannot_open_connections_into_a_tunnel():
    refused_and_counted(GATEWAY, "vpn_inbound_new_dropped", APP1, both(lambda f: [(ACME[f], 22, "tcp")]))


@pytest.mark.parametrize(
    "stolen", ["0.0.0.0/0", "::/0", "10.231.201.0/24"], ids=["ipv4-default", "ipv6-default", "whole-network"]
)
def test_a_tunnel_address_that_would_take_a_network_is_refused_on_the_gateway(stolen):
    """A hostile or mistaken card reaching the module past the card's own check changes nothing."""
    before = host(GATEWAY).check_output(f"cat /etc/wireguard/{INTERFACE}.conf /etc/nftables.d/vpn_gateway.nft")
    result, output = vpn_testinfra.run_module(
        GATEWAY, "cyberveilig.landingzone.vpn_gateway", engine_args(card(acme_tunnel=stolen)), must_succeed=False
    )
    assert "| FAILED!" in output and "suppliers[0] (acme-support).vpn.tunnel_address" in result["msg"], result
    assert host(GATEWAY).check_output(f"cat /etc/wireguard/{INTERFACE}.conf /etc/nftables.d/vpn_gateway.nft") == before
    for family in vpn_testinfra.FAMILIES:
        routes = host(GATEWAY).check_output(f"ip -{family} route show dev {INTERFACE}")
        assert "default" not in routes and all("proto kernel" in line for line in routes.splitlines()), routes


def test_sessions_are_logged_to_the_journal():
    gateway = host(GATEWAY)

    def logged():
        return "session of supplier acme-support" in gateway.run("journalctl -t vpn-gateway --no-pager").stdout

    assert wait_for(logged, 10)
    assert "tunnel interface lzwgtest0 is up" in gateway.run("journalctl -t vpn-gateway --no-pager").stdout


def test_key_rotation_under_a_continuous_ping():
    current, following, beta = supplier_key("current"), supplier_key("next"), supplier_key("beta")
    converge(rotate=True)
    assert gateway_peers() == {current, following, beta}
    supplier = host(SUPPLIERS)
    count, interval = 100, 0.1
    supplier.run("rm -f /tmp/rotation-ping.log")
    ping = f"ping -c {count} -i {interval} -W 1 -I wgsupa0 {GATEWAY_TUNNEL[4]} > /tmp/rotation-ping.log"
    supplier.run(f"systemd-run --unit=lz-rotation-ping sh -c '{ping}'")
    time.sleep(3)
    # The supplier switches to its next key and the next tunnel addresses at once.
    supplier.check_output(
        f"ip address add {ACME_NEXT[4]}/32 dev wgsupa0 && ip address add {ACME_NEXT[6]}/128 dev wgsupa0 "
        "&& wg set wgsupa0 private-key /etc/wireguard/next.key "
        f"&& ip address del {ACME[4]}/32 dev wgsupa0 && ip address del {ACME[6]}/128 dev wgsupa0"
    )
    assert wait_for(lambda: "packet loss" in supplier.file("/tmp/rotation-ping.log").content_string, 30)
    summary = supplier.file("/tmp/rotation-ping.log").content_string
    received = int(re.search(r"(\d+) received", summary).group(1))
    record("rotation_ping", {"sent": count, "interval_s": interval, "received": received, "lost": count - received})
    assert count - received <= 5, summary
    # The next run sees the next key's handshake and removes the old peer.
    converge(rotate=True)
    assert gateway_peers() == {following, beta}
    for family in vpn_testinfra.FAMILIES:
        app1, app2 = APPS[APP1][family], APPS[APP2][family]
        assert reach(SUPPLIERS, [(app1, 8443, "tcp", ACME_NEXT[family]), (app2, 8443, "tcp", ACME_NEXT[family])]) == [
            True,
            False,
        ]


def test_access_ends_at_its_expiry_time_by_the_gateways_timer():
    # Far enough ahead that the converge ends before the expiry, on a busy machine too: a few times
    # the slowest converge so far.
    lead = max(12, math.ceil(4 * max(CONVERGE_SECONDS, default=0)))
    expires = datetime.datetime.now(datetime.UTC).replace(microsecond=0) + datetime.timedelta(seconds=lead)
    took = converge(rotate=True, expires=expires.isoformat())
    assert took < lead - 2, f"the converge took {took:.0f}s, too long for an expiry {lead}s ahead"
    app1 = APPS[APP1][4]
    assert reach(SUPPLIERS, [(app1, 8443, "tcp", ACME_NEXT[4])]) == [True]
    remaining = (expires - datetime.datetime.now(datetime.UTC)).total_seconds()
    time.sleep(max(0.0, remaining) + 3)
    assert reach(SUPPLIERS, [(app1, 8443, "tcp", ACME_NEXT[4])]) == [False]
    gateway = host(GATEWAY)
    # beta-software's access is its own: it carries on.
    assert gateway_peers() == {supplier_key("beta")}
    assert reach(SUPPLIERS, [(APPS[APP2][6], 8443, "tcp", BETA[6])]) == [True]
    fired = gateway.check_output("systemctl show -P ExecMainExitTimestamp vpn-gateway-expire@acme-support.service")
    record("expiry", {"expires": expires.isoformat(), "ended_by_timer_at": fired})
    ended = json.loads(gateway.file("/var/lib/vpn_gateway/ended.json").content_string)
    assert ended["acme-support"]["reason"] == "expired"
    assert "supplier acme-support: access ended (expired)" in gateway.run("journalctl -t vpn-gateway --no-pager").stdout


def test_revocation_ends_access_at_once_and_holds_for_that_key():
    following, beta = supplier_key("next"), supplier_key("beta")
    app1 = APPS[APP1][4]
    # A later expiry on the card opens access again...
    converge(rotate=True)
    assert gateway_peers() == {following, beta}
    assert wait_for(lambda: reach(SUPPLIERS, [(app1, 8443, "tcp", ACME_NEXT[4])]) == [True], 15)
    # ...until the operator revokes it: gone as soon as the run ends.
    converge(rotate=True, revoke=["acme-support"])
    assert gateway_peers() == {beta}
    assert reach(SUPPLIERS, [(app1, 8443, "tcp", ACME_NEXT[4])]) == [False]
    # A later run from the unchanged card keeps the revoked key out.
    converge(rotate=True)
    assert gateway_peers() == {beta}
    ended = json.loads(host(GATEWAY).file("/var/lib/vpn_gateway/ended.json").content_string)
    assert ended["acme-support"]["reason"] == "revoked"


@pytest.fixture(autouse=True, scope="module")
def _stop_background_ping_and_record_timings():
    yield
    host(SUPPLIERS).run("systemctl stop lz-rotation-ping.service")
    record("verify_engine_run_seconds", CONVERGE_SECONDS)
