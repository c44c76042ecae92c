"""Filters of the log collector: which hosts send it their logs, and on which port each does.

rsyslog (8.2302 in Debian 12) cannot tell a message's rules which certificate its sender
presented, so the collector gives every sender a TLS input of its own, on a port of its own,
that admits only that sender's certificate name: the file a line lands in follows from the
port, and the port from the handshake. The senders and their ports come from the inventory
alone, by these filters, so that the collector (its inputs) and every sender (the port it
forwards to) always agree.

The documentation of each filter lives next to this file (``<filter>.yml``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._log_chain import SENDER_NAME

# Windows hosts do not forward syslog; every other host of the inventory does.
NOT_SENDING = "windows"


def log_sender_ports(groups, first_port):
    """{sender: port} for every host of the inventory outside the group windows, by name, from first_port on."""
    if not isinstance(groups, Mapping) or "all" not in groups:
        raise AnsibleFilterError("log_sender_ports: expected the inventory's groups (the variable groups)")
    try:
        first = int(first_port)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"log_sender_ports: first_port: not a port number: {first_port!r}") from exc
    excluded = set(groups.get(NOT_SENDING) or [])
    senders = sorted({str(host) for host in groups["all"]} - excluded)
    for host in senders:
        if not SENDER_NAME.match(host):
            raise AnsibleFilterError(
                f"log_sender_ports: host {host!r}: a log sender's name becomes its directory on the collector "
                "and the certificate name its input admits: letters, digits, '_', '.' and '-', not starting with '.'"
            )
    last = first + len(senders) - 1
    if first < 1 or last > 65535:
        raise AnsibleFilterError(
            f"log_sender_ports: first_port: {len(senders)} senders from port {first} on do not fit below 65536"
        )
    return {host: first + index for index, host in enumerate(senders)}


def port_range(ports):
    """The ports of a log_sender_ports mapping as one firewall port or range: "6514" or "6514-6520"."""
    values = sorted(int(port) for port in (ports.values() if isinstance(ports, Mapping) else ports))
    if not values:
        raise AnsibleFilterError("port_range: no ports")
    if values != list(range(values[0], values[-1] + 1)):
        raise AnsibleFilterError(f"port_range: the ports are not one range: {values}")
    return str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]}"


class FilterModule:
    """Log collector filters of cyberveilig.landingzone."""

    def filters(self):
        return {"log_sender_ports": log_sender_ports, "port_range": port_range}
