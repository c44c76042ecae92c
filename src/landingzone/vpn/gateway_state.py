"""What `vpn export` reads from a gateway, checked before anything is written from it.

The gateway is a host an attacker may hold. Its gateway.json, its certificate and its
preshared key become the configuration a supplier runs: a newline in the endpoint would add
a ``PostUp`` line that wg-quick runs on the supplier's machine. So every value is checked as
a whole (a key is base64 of 32 bytes, a port an integer in range, an address an address), the
certificate is parsed and written again from what was parsed, and anything else is refused
with an error naming the gateway and the field.
"""

import base64
import binascii
import functools
import ipaddress
import json
import re
from pathlib import Path

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.host_word import host_word
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.json_schema_subset import shown
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from landingzone.errors import LandingzoneError
from landingzone.vpn.export import Handover

GATEWAY_FILE = "/etc/vpn_gateway/gateway.json"
_WG_KEY = re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=")
# An IKE identity as a certificate's subjectAltName gives it: a host name, an address, or an e-mail address.
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9._+-]{1,64}")
PROTOCOLS = ("tcp", "udp")


class _Refused(ValueError):
    """A value of the gateway's state that `vpn export` will not write."""


def wireguard_key(value) -> str:
    """A WireGuard key: base64 of 32 bytes, nothing around it."""
    if not isinstance(value, str) or not _WG_KEY.fullmatch(value):
        raise _Refused(f"{shown(value)} is not a WireGuard key (base64 of 32 bytes)")
    try:
        base64.b64decode(value, validate=True)
    except binascii.Error:
        raise _Refused(f"{shown(value)} is not a WireGuard key (base64 of 32 bytes)") from None
    return value


def endpoint_host(value) -> str:
    """A host name or an address without a zone; an IPv6 address may come in brackets,
    which are taken off (each file that needs them puts them back)."""
    if not isinstance(value, str):
        raise _Refused(f"{shown(value)} is not a host name or an IP address")
    bracketed = value.startswith("[") and value.endswith("]")
    text = value[1:-1] if bracketed else value
    try:
        host = host_word(text)
    except ValueError:
        raise _Refused(f"{shown(value)} is not a host name or an IP address") from None
    if bracketed and ":" not in host:
        raise _Refused(f"{shown(value)}: only an IPv6 address goes in brackets")
    return host


def port(value) -> int:
    """A UDP port: a JSON integer from 1 to 65535 (not a string, not a boolean)."""
    if type(value) is not int or not 0 < value < 65536:
        raise _Refused(f"{shown(value)} is not a port (an integer from 1 to 65535)")
    return value


def _no_zone(value) -> str:
    if not isinstance(value, str) or "%" in value:
        raise _Refused(f"{shown(value)} is not an address without a zone")
    return value


def interface_address(value) -> str:
    """An address with its prefix length, as ``10.231.200.1/24``."""
    try:
        return str(ipaddress.ip_interface(_no_zone(value)))
    except ValueError:
        raise _Refused(f"{shown(value)} is not an address with a prefix length") from None


def address(value) -> str:
    try:
        return str(ipaddress.ip_address(_no_zone(value)))
    except ValueError:
        raise _Refused(f"{shown(value)} is not an IP address") from None


def traffic_selectors(value) -> str:
    """The gateway's side of an IPsec child SA: networks separated by commas."""
    try:
        for part in _no_zone(value).split(","):
            ipaddress.ip_network(part, strict=False)
    except ValueError:
        raise _Refused(f"{shown(value)} is not networks separated by commas") from None
    return value


def ipsec_identity(value) -> str:
    """The gateway's IKE identity: empty (no IPsec), a host name, an address or an e-mail address."""
    if value == "":
        return value
    if isinstance(value, str) and value.count("@") == 1:
        local, _, domain = value.partition("@")
        if _EMAIL_LOCAL.fullmatch(local):
            try:
                host_word(domain)
                return value
            except ValueError:
                pass
    try:
        if isinstance(value, str):
            return host_word(value)
    except ValueError:
        pass
    raise _Refused(f"{shown(value)} is not a host name, an IP address or an e-mail address")


def certificate(text: str) -> str:
    """The gateway's certificate, written again from what was parsed: nothing the file held
    besides the certificate reaches the supplier."""
    if not text:
        return ""
    try:
        parsed = x509.load_pem_x509_certificate(text.encode())
    except ValueError:
        raise _Refused("is not a PEM certificate") from None
    again = parsed.public_bytes(serialization.Encoding.PEM).decode()
    if text.strip() != again.strip():
        raise _Refused("holds more than one PEM certificate")
    return again


def _access_rule(rule) -> dict:
    if not isinstance(rule, dict):
        raise _Refused(f"{shown(rule)} is not a mapping")
    fields = {"host": host_word, "address": address, "port": port, "proto": _protocol}
    checked = {}
    for key, check in fields.items():
        try:
            checked[key] = check(rule.get(key))
        except ValueError as exc:
            raise _Refused(f"{key}: {_reason(exc)}") from None
    return checked


def _protocol(value) -> str:
    if value not in PROTOCOLS:
        raise _Refused(f"{shown(value)} is not one of {', '.join(PROTOCOLS)}")
    return value


def _reason(exc: ValueError) -> str:
    # host_word's own message quotes 40 characters unescaped; ours are already shown().
    return str(exc) if isinstance(exc, _Refused) else "is not a host name or an IP address"


class GatewayState:
    """One gateway's fetched directory (gateway.json, gateway.crt, preshared.key), checked."""

    def __init__(self, directory: Path):
        self.directory = directory
        try:
            self.gateway = host_word(directory.name)
        except ValueError:
            raise LandingzoneError(f"vpn export: {shown(directory.name)} is not a gateway's host name") from None

    def _refuse(self, where: str, field: str, reason: str) -> LandingzoneError:
        return LandingzoneError(f"vpn export: gateway {self.gateway}: {where}: {field}: {reason}")

    def _checked(self, where: str, field: str, check, value):
        try:
            return check(value)
        except ValueError as exc:
            raise self._refuse(where, field, _reason(exc)) from None

    @functools.cached_property
    def described(self) -> dict:
        try:
            described = json.loads((self.directory / "gateway.json").read_text())
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise self._refuse(GATEWAY_FILE, "(file)", f"not readable as JSON: {exc}") from None
        if not isinstance(described, dict):
            raise self._refuse(GATEWAY_FILE, "(file)", "is not a JSON object")
        return described

    def handover(self) -> Handover:
        described = self.described
        check = self._checked
        # A gateway the role has not run on since it became dual stack still names one address.
        field = "interface_addresses" if "interface_addresses" in described else "interface_address"
        addresses = described.get(field)
        addresses = addresses if field == "interface_addresses" else [addresses]
        if not isinstance(addresses, list) or not addresses:
            raise self._refuse(GATEWAY_FILE, field, "is not a list of addresses")
        crt = self.directory / "gateway.crt"
        return Handover(
            gateway=self.gateway,
            public_key=check(GATEWAY_FILE, "public_key", wireguard_key, described.get("public_key")),
            endpoint=check(GATEWAY_FILE, "endpoint", endpoint_host, described.get("endpoint")),
            listen_port=check(GATEWAY_FILE, "listen_port", port, described.get("listen_port")),
            interface_addresses=tuple(
                check(GATEWAY_FILE, f"{field}[{index}]", interface_address, value)
                for index, value in enumerate(addresses)
            ),
            ipsec_id=check(GATEWAY_FILE, "ipsec_id", ipsec_identity, described.get("ipsec_id", "")),
            certificate=check("gateway certificate", "(PEM)", certificate, crt.read_text() if crt.exists() else ""),
        )

    def supplier(self, name: str) -> tuple[list[dict], str | None]:
        """The hosts the gateway lets supplier ``name`` reach, and its side of an IPsec child SA.
        None when the gateway does not carry the supplier."""
        suppliers = self.described.get("suppliers")
        if not isinstance(suppliers, dict):
            raise self._refuse(GATEWAY_FILE, "suppliers", "is not a mapping of supplier names")
        if name not in suppliers:
            raise LandingzoneError(
                f"vpn export: gateway {self.gateway} does not carry supplier {name} "
                "(its access ended, or the card was not applied yet)"
            )
        record = suppliers[name]
        field = f"suppliers.{name}"
        access = record.get("access") if isinstance(record, dict) else None
        if not isinstance(access, list):
            raise self._refuse(GATEWAY_FILE, f"{field}.access", "is not a list")
        rules = [self._checked(GATEWAY_FILE, f"{field}.access[{i}]", _access_rule, r) for i, r in enumerate(access)]
        selectors = record.get("ipsec_local_ts")
        if selectors is not None:
            selectors = self._checked(GATEWAY_FILE, f"{field}.ipsec_local_ts", traffic_selectors, selectors)
        return rules, selectors

    def preshared_key(self) -> str:
        path = self.directory / "preshared.key"
        text = path.read_text() if path.exists() else ""
        # The key itself never reaches a message.
        if not _WG_KEY.fullmatch(text.removesuffix("\n")):
            raise self._refuse("preshared key", "(file)", "is not a WireGuard key (base64 of 32 bytes)")
        return text.removesuffix("\n")
