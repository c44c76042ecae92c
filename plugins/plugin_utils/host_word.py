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


_BASE_URL = re.compile(r"https://(?P<host>\[[^\]/]*\]|[^/:\[\]]*)(?::(?P<port>[0-9]{1,5}))?/?")


def https_base_url(value, field: str = "value") -> str:
    """``value`` when it is ``https://host[:port]`` (a final ``/`` allowed), with a host that
    ``host_word`` accepts (an IPv6 address in brackets); ValueError otherwise. A path, a query or
    credentials would be dropped silently by whatever builds on the base URL, so they are refused.
    The error names ``field``."""
    text = str(value)
    match = _BASE_URL.fullmatch(text)
    if match is None or (match["port"] and not 0 < int(match["port"]) < 65536):
        raise ValueError(f"{field}: {text[:40]!r} is not https://host[:port]")
    host = match["host"]
    bracketed = host.startswith("[")
    try:
        address = host_word(host[1:-1] if bracketed else host)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None
    if bracketed and ":" not in address:
        raise ValueError(f"{field}: {text[:40]!r}: only an IPv6 address goes in brackets")
    if not bracketed and ":" in address:
        raise ValueError(f"{field}: {text[:40]!r}: an IPv6 address goes in brackets")
    return text
