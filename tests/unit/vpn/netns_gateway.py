"""A VPN gateway in network namespaces: the rendered rulesets on a real kernel, real TCP and UDP.

Namespaces this test makes (and removes), each with IPv4 and IPv6:

    supa ─┐                  ┌─ inside: app1, app2 (8443/tcp, 2222/tcp, 5353/udp),
          lzwg0 [gw] eth1 ─┤          and a management host (22/tcp)
    supb ─┘         eth0
                     │
                  outside: the internet side, where an attacker stands

``lzwg0`` stands in for WireGuard (this kernel has none): a bridge on the gateway with one
port per supplier, each supplier holding only its own tunnel address and routing everything
through the gateway, as a WireGuard peer sends from its allowed IPs only. The gateway
(``gw``) loads the baseline's ruleset with
forwarding declared the way the role declares it, and the vpn_gateway table, both rendered
by the collection's own code. Traffic never leaves these namespaces.
"""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass, field

SERVER = r"""
import socket, sys, threading
def tcp(port):
    s = socket.create_server(("::", port), family=socket.AF_INET6, dualstack_ipv6=True)
    while True:
        conn, _ = s.accept()
        conn.close()
def udp(address, port):
    # Bound to one address, so that a reply leaves from the address the request went to.
    s = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, port))
    while True:
        data, peer = s.recvfrom(100)
        s.sendto(data, peer)
for port in [int(p) for p in sys.argv[1].split(",") if p]:
    threading.Thread(target=tcp, args=(port,), daemon=True).start()
for address in [a for a in sys.argv[3].split(",") if a]:
    for port in [int(p) for p in sys.argv[2].split(",") if p]:
        threading.Thread(target=udp, args=(address, port), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""

CLIENT = r"""
import socket, sys, threading
lock = threading.Lock()
def attempt(index, proto, target, port, source, timeout):
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.settimeout(float(timeout))
    ok = True
    try:
        if source != "-":
            s.bind((source, 0))
        if proto == "tcp":
            s.connect((target, int(port)))
        else:
            s.sendto(b"ping", (target, int(port)))
            s.recvfrom(100)
    except OSError:
        ok = False
    finally:
        s.close()
    with lock:
        print(index, int(ok), flush=True)
for line in sys.stdin:
    threading.Thread(target=attempt, args=line.split()).start()
"""


def run(*argv, check=True):
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip() or done.stdout.strip()}")
    return done


@dataclass
class Topology:
    """Addresses per family: ``addresses[4]["supa"]`` is supplier A's tunnel address."""

    prefix: str = field(default_factory=lambda: f"lzvpnt-{uuid.uuid4().hex[:6]}-")
    servers: list = field(default_factory=list)
    clients: dict = field(default_factory=dict)

    ADDRESSES = {
        4: {
            "gw_tunnel": "10.231.201.1",
            "supa": "10.231.201.2",
            "supb": "10.231.201.3",
            "gw_inside": "10.231.250.1",
            "app1": "10.231.250.11",
            "app2": "10.231.250.12",
            "management": "10.231.209.2",
            "gw_outside": "192.0.2.1",
            "outside": "192.0.2.2",
        },
        6: {
            "gw_tunnel": "fd00:231:201::1",
            "supa": "fd00:231:201::2",
            "supb": "fd00:231:201::3",
            "gw_inside": "fd00:231:250::1",
            "app1": "fd00:231:250::11",
            "app2": "fd00:231:250::12",
            "management": "fd00:231:209::2",
            "gw_outside": "2001:db8:2::1",
            "outside": "2001:db8:2::2",
        },
    }
    NAMESPACES = ("gw", "supa", "supb", "inside", "outside")

    def ns(self, name: str) -> str:
        return self.prefix + name

    def exec(self, name: str, *argv, check=True):
        return run("ip", "netns", "exec", self.ns(name), *argv, check=check)

    def _link(self, left: str, left_if: str, right: str, right_if: str) -> None:
        run(
            "ip", "-n", self.ns(left), "link", "add", left_if, "type", "veth", "peer", right_if, "netns", self.ns(right)
        )
        run("ip", "-n", self.ns(left), "link", "set", left_if, "up")
        run("ip", "-n", self.ns(right), "link", "set", right_if, "up")

    def _address(self, name: str, interface: str, family: int, address: str, prefix: int) -> None:
        extra = ["nodad"] if family == 6 else []
        run("ip", f"-{family}", "-n", self.ns(name), "address", "add", f"{address}/{prefix}", "dev", interface, *extra)

    def _mac(self, name: str, interface: str) -> str:
        return json.loads(run("ip", "-j", "-n", self.ns(name), "link", "show", interface).stdout)[0]["address"]

    def _neighbour(self, name: str, interface: str, family: int, address: str, mac: str) -> None:
        run(
            "ip",
            f"-{family}",
            "-n",
            self.ns(name),
            "neigh",
            "replace",
            address,
            "lladdr",
            mac,
            "dev",
            interface,
            "nud",
            "permanent",
        )

    def _route(self, name: str, family: int, *route) -> None:
        run("ip", f"-{family}", "-n", self.ns(name), "route", "add", *route)

    def build(self) -> None:
        for name in self.NAMESPACES:
            run("ip", "netns", "add", self.ns(name))
            run("ip", "-n", self.ns(name), "link", "set", "lo", "up")
            # Addresses usable at once: no duplicate address detection in namespaces of our own.
            self.exec(name, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0")
        run("ip", "-n", self.ns("gw"), "link", "add", "lzwg0", "type", "bridge")
        run("ip", "-n", self.ns("gw"), "link", "set", "lzwg0", "up")
        for supplier in ("supa", "supb"):
            self._link("gw", f"port-{supplier}", supplier, "tun0")
            run("ip", "-n", self.ns("gw"), "link", "set", f"port-{supplier}", "master", "lzwg0")
        self._link("gw", "eth1", "inside", "eth0")
        self._link("gw", "eth0", "outside", "eth0")
        self.exec("gw", "sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1")
        for family, host_prefix, net_prefix in ((4, 32, 24), (6, 128, 64)):
            a = self.ADDRESSES[family]
            self._address("gw", "lzwg0", family, a["gw_tunnel"], net_prefix)
            self._address("gw", "eth1", family, a["gw_inside"], net_prefix)
            self._address("gw", "eth0", family, a["gw_outside"], net_prefix)
            # A supplier holds its tunnel address alone and sends everything to the gateway.
            for supplier in ("supa", "supb"):
                self._address(supplier, "tun0", family, a[supplier], host_prefix)
                self._route(supplier, family, "default", "via", a["gw_tunnel"], "dev", "tun0", "onlink")
            for name in ("app1", "app2"):
                self._address("inside", "eth0", family, a[name], net_prefix)
            self._address("inside", "lo", family, a["management"], host_prefix)
            self._route("inside", family, "default", "via", a["gw_inside"])
            self._address("outside", "eth0", family, a["outside"], net_prefix)
            # What an attacker outside the tunnels may claim: a supplier's tunnel address.
            self._address("outside", "lo", family, a["supa"], host_prefix)
            self._route("outside", family, "default", "via", a["gw_outside"])
            # The gateway reaches the management host behind the inside network, as a router would.
            self._route("gw", family, f"{a['management']}/{host_prefix}", "via", a["app1"])
        # A tunnel carries no neighbour discovery: the two ends know each other, as WireGuard's peers do.
        gateway_mac = self._mac("gw", "lzwg0")
        for supplier in ("supa", "supb"):
            supplier_mac = self._mac(supplier, "tun0")
            for family in (4, 6):
                a = self.ADDRESSES[family]
                self._neighbour(supplier, "tun0", family, a["gw_tunnel"], gateway_mac)
                self._neighbour("gw", "lzwg0", family, a[supplier], supplier_mac)
        # Every target listens, so a refused connection was refused by the gateway, nothing else.
        inside = [self.ADDRESSES[family][host] for family in (4, 6) for host in ("app1", "app2")]
        self.serve("inside", tcp=(8443, 2222, 22), udp=(5353,), udp_addresses=inside)
        for name in ("gw", "supa", "supb"):
            self.serve(name, tcp=(22,))

    def serve(self, name: str, tcp, udp=(), udp_addresses=()) -> None:
        command = ["ip", "netns", "exec", self.ns(name), "python3", "-c", SERVER]
        command += [",".join(map(str, tcp)), ",".join(map(str, udp)), ",".join(udp_addresses)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self.servers.append(process)
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the test server in {name} did not start")

    def load(self, ruleset: str) -> None:
        done = subprocess.run(
            ["ip", "netns", "exec", self.ns("gw"), "nft", "-f", "-"], input=ruleset, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"nft -f refused the ruleset: {done.stderr}")

    def reaches(self, client: str, proto: str, target: str, port: int, source: str = "") -> bool:
        """Whether a real TCP connect (or a UDP echo) from namespace ``client`` gets an answer."""
        return self.reach_all([(client, proto, target, port, source)]) == [True]

    def reach_all(self, attempts, timeout=0.5) -> list[bool]:
        """Each attempt (client, proto, target, port[, source]) made at once; whether each got an answer."""
        for client in {attempt[0] for attempt in attempts}:
            if client not in self.clients:
                command = ["ip", "netns", "exec", self.ns(client), "python3", "-u", "-c", CLIENT]
                self.clients[client] = subprocess.Popen(
                    command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
                )
        for index, (client, proto, target, port, *source) in enumerate(attempts):
            line = f"{index} {proto} {target} {port} {(source or ['-'])[0] or '-'} {timeout}\n"
            self.clients[client].stdin.write(line)
            self.clients[client].stdin.flush()
        answers = {}
        for client in {attempt[0] for attempt in attempts}:
            for _ in range(sum(1 for attempt in attempts if attempt[0] == client)):
                index, ok = self.clients[client].stdout.readline().split()
                answers[int(index)] = ok == "1"
        return [answers[index] for index in range(len(attempts))]

    def counter(self, name: str) -> int:
        out = self.exec("gw", "nft", "-j", "list", "counter", "inet", "vpn_gateway", name).stdout
        return json.loads(out)["nftables"][1]["counter"]["packets"]

    def remove(self) -> None:
        for process in [*self.servers, *self.clients.values()]:
            process.kill()
            process.wait(timeout=10)
        for name in self.NAMESPACES:
            run("ip", "netns", "delete", self.ns(name), check=False)
