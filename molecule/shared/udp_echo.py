"""A UDP echo on one port, on every global address of the host, IPv4 and IPv6: what the VPN
tests' internal hosts answer UDP with.

One socket per address, so that a reply leaves from the address the request went to (a
wildcard socket lets the kernel choose, and a reply from another address of the host is a new
flow to a stateful firewall). Started after the host's addresses are in place:
udp_echo.py PORT."""

import json
import select
import socket
import subprocess
import sys

port = int(sys.argv[1])
links = json.loads(subprocess.run(["ip", "-j", "address", "show"], capture_output=True, check=True).stdout)
sockets = []
for address in (info for link in links for info in link.get("addr_info", []) if info.get("scope") == "global"):
    family = socket.AF_INET6 if address["family"] == "inet6" else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_DGRAM)
    listener.bind((address["local"], port))
    sockets.append(listener)
while True:
    for ready in select.select(sockets, [], [])[0]:
        data, peer = ready.recvfrom(100)
        ready.sendto(data, peer)
