"""The gateway's own values from the inventory, checked as whole strings before any file is written.

The interface names reach the wg-quick unit, the nftables drop-in (``iifname "..."``) and file
names; the IKE identity reaches swanctl's ``id = "..."``; the local networks reach swanctl's
``local_ts``; the endpoint reaches gateway.json, from which ``landingzone vpn export`` writes the
supplier's configuration. None of these files has a quoting that could carry a quote or a
newline, so anything but the expected shape is refused, naming the parameter.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn.addresses import AddressError, network

# What Linux and wg-quick take as an interface name (IFNAMSIZ less the final NUL).
INTERFACE = re.compile(r"[A-Za-z0-9_=+.-]{1,15}")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_MAILBOX = re.compile(r"[A-Za-z0-9._+-]{1,64}")


def _shown(value):
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


def interface_name(value, where, optional=False):
    if optional and value == "":
        return value
    if not isinstance(value, str) or not INTERFACE.fullmatch(value):
        raise AddressError(f"{where}: {_shown(value)} is not an interface name (1 to 15 of A-Z a-z 0-9 _ = + . -)")
    return value


def _host(text):
    """The host name or address ``text`` is (an IPv6 address without its zone), or None. The
    same rule as plugin_utils' host_word, which a module cannot import: it runs on the gateway."""
    if not isinstance(text, str):
        return None
    if "%" not in text:
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            pass
    name = text[:-1] if text.endswith(".") else text
    if name and len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split(".")):
        return text
    return None


def endpoint(value, where):
    """The host suppliers dial: a host name or an address (an IPv6 address may come in
    brackets, which are taken off); empty where the role leaves it to the inventory."""
    if value == "":
        return value
    bracketed = isinstance(value, str) and value.startswith("[") and value.endswith("]")
    host = _host(value[1:-1] if bracketed else value)
    if host is None or (bracketed and ":" not in host):
        raise AddressError(f"{where}: {_shown(value)} is not a host name or an IP address")
    return host


def ike_identity(value, where):
    """An IKE identity as a certificate's subjectAltName gives it: a host name, an address or
    an e-mail address; empty when no supplier uses IPsec."""
    if value == "":
        return value
    if isinstance(value, str) and value.count("@") == 1:
        mailbox, domain = value.split("@")
        if _MAILBOX.fullmatch(mailbox) and _host(domain) is not None:
            return value
    if _host(value) is not None:
        return value
    raise AddressError(f"{where}: {_shown(value)} is not a host name, an IP address or an e-mail address")


def local_networks(values, where):
    """The networks, each checked (no zone, a whole address or CIDR) and kept as written."""
    for index, text in enumerate(values):
        network(text, f"{where}[{index}]")
    return list(values)


def checked(params):
    """The module's parameters with the gateway's own values checked; AddressError naming the first bad one."""
    return dict(
        params,
        interface=interface_name(params["interface"], "interface"),
        ipsec_interface=interface_name(params["ipsec_interface"], "ipsec_interface", optional=True),
        endpoint=endpoint(params["endpoint"], "endpoint"),
        ipsec_id=ike_identity(params["ipsec_id"], "ipsec_id"),
        ipsec_local_networks=local_networks(params["ipsec_local_networks"], "ipsec_local_networks"),
    )
