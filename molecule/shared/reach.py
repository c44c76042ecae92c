"""Run where the traffic starts (a container, a namespace of the lab VM): every attempt at once.

    python3 reach.py '[[target, port, "tcp"|"udp", source or ""], ...]' TIMEOUT

A TCP attempt answers when the connect succeeds, a UDP one when the echo comes back. Prints a
JSON list of whether each attempt was answered, in order; a dropped packet is a timeout.
Read by molecule/shared/vpn_testinfra.py and tests/vm/test_vpn_kernel_esp.py."""

import json
import socket
import sys
import threading

attempts, timeout = json.loads(sys.argv[1]), float(sys.argv[2])
answers = [False] * len(attempts)


def attempt(index, target, port, proto, source):
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    try:
        if source:
            sock.bind((source, 0))
        if proto == "tcp":
            sock.connect((target, port))
        else:
            sock.sendto(b"ping", (target, port))
            sock.recvfrom(100)
        answers[index] = True
    except OSError:
        pass
    finally:
        sock.close()


threads = [threading.Thread(target=attempt, args=(index, *found)) for index, found in enumerate(attempts)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(answers))
