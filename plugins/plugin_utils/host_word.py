"""A host name or address where a configuration file takes it as a bare word (chrony's
``server``, nginx's ``server_name``): such files have no quoting at all, so the only safe
encoding of anything else is a refusal."""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def host_word(value) -> str:
    """``value`` when it is a host name (dot-separated labels of letters, digits and hyphens)
    or an IP address without a zone; ValueError otherwise."""
    text = str(value)
    if "%" not in text:
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            pass
    name = text[:-1] if text.endswith(".") else text
    if name and len(name) <= 253 and all(_LABEL.fullmatch(label) for label in name.split(".")):
        return text
    raise ValueError(f"{text[:40]!r} is not a host name or an IP address")
