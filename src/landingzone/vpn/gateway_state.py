"""What `vpn export` reads from a gateway, checked before anything is written from it.

The gateway is a host an attacker may hold. Its gateway.json, its certificate and its
preshared key become the configuration a supplier runs: a newline in the endpoint would add
a ``PostUp`` line that wg-quick runs on the supplier's machine. So every value is checked as
a whole (a key is base64 of 32 bytes, a port an integer in range, an address an address), the
certificate is parsed and written again from what was parsed, and anything else is refused
with an error naming the gateway and the field.
"""

import functools
import ipaddress
import json
from pathlib import Path

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn.addresses import network
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn.gateway_values import (
    endpoint,
    ike_identity,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn.names import GATEWAY_FILE
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn.plan import KEY_PATTERN
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.host_word import host_word
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.json_schema_subset import shown
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from landingzone.errors import LandingzoneError
from landingzone.vpn.export import Handover

PROTOCOLS = ("tcp", "udp")

# Each check takes the value and the field's name, and raises ValueError starting with that name.


def wireguard_key(value, where: str) -> str:
    """A WireGuard key: base64 of 32 bytes, nothing around it."""
    if not isinstance(value, str) or not KEY_PATTERN.fullmatch(value):
        raise ValueError(f"{where}: {shown(value)} is not a WireGuard key (base64 of 32 bytes)")
    return value


def port(value, where: str) -> int:
    """A port: a JSON integer from 1 to 65535 (not a string, not a boolean)."""
    if type(value) is not int or not 0 < value < 65536:
        raise ValueError(f"{where}: {shown(value)} is not a port (an integer from 1 to 65535)")
    return value


def _no_zone(value, where: str) -> str:
    if not isinstance(value, str) or "%" in value:
        raise ValueError(f"{where}: {shown(value)} is not an address without a zone")
    return value


def interface_address(value, where: str) -> str:
    """An address with its prefix length, as ``10.231.200.1/24``."""
    _no_zone(value, where)
    try:
        return str(ipaddress.ip_interface(value))
    except ValueError:
        raise ValueError(f"{where}: {shown(value)} is not an address with a prefix length") from None


def address(value, where: str) -> str:
    _no_zone(value, where)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValueError(f"{where}: {shown(value)} is not an IP address") from None


def traffic_selectors(value, where: str) -> str:
    """The gateway's side of an IPsec child SA: networks separated by commas."""
    for part in _no_zone(value, where).split(","):
        network(part, where)
    return value


def host(value, where: str) -> str:
    try:
        if isinstance(value, str):
            return host_word(value)
    except ValueError:
        pass
    raise ValueError(f"{where}: {shown(value)} is not a host name or an IP address")


def protocol(value, where: str) -> str:
    if value not in PROTOCOLS:
        raise ValueError(f"{where}: {shown(value)} is not one of {', '.join(PROTOCOLS)}")
    return value


def certificate(text: str, where: str) -> str:
    """The gateway's certificate, written again from what was parsed: nothing the file held
    besides the one certificate reaches the supplier."""
    if not text:
        return ""
    try:
        parsed = x509.load_pem_x509_certificate(text.encode())
    except ValueError:
        raise ValueError(f"{where}: is not a PEM certificate") from None
    again = parsed.public_bytes(serialization.Encoding.PEM).decode()
    if text.strip() != again.strip():
        raise ValueError(f"{where}: holds more than one PEM certificate")
    return again


def access_rule(rule, where: str) -> dict:
    if not isinstance(rule, dict):
        raise ValueError(f"{where}: {shown(rule)} is not a mapping")
    checks = {"host": host, "address": address, "port": port, "proto": protocol}
    return {key: check(rule.get(key), f"{where}: {key}") for key, check in checks.items()}


class GatewayState:
    """One gateway's fetched directory (gateway.json, gateway.crt, preshared.key), checked."""

    def __init__(self, directory: Path):
        self.directory = directory
        try:
            self.gateway = host_word(directory.name)
        except ValueError:
            raise LandingzoneError(f"vpn export: {shown(directory.name)} is not a gateway's host name") from None

    def _refused(self, where: str, message: str) -> LandingzoneError:
        return LandingzoneError(f"vpn export: gateway {self.gateway}: {where}: {message}")

    def _checked(self, where: str, check, value, field: str):
        try:
            return check(value, field)
        except ValueError as exc:  # AddressError of the module's checks too
            raise self._refused(where, str(exc)) from None

    @functools.cached_property
    def described(self) -> dict:
        try:
            described = json.loads((self.directory / "gateway.json").read_text())
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise self._refused(GATEWAY_FILE, f"not readable as JSON: {exc}") from None
        if not isinstance(described, dict):
            raise self._refused(GATEWAY_FILE, "is not a JSON object")
        return described

    def handover(self) -> Handover:
        described, check = self.described, self._checked
        # A gateway the role has not run on since it became dual stack still names one address.
        field = "interface_addresses" if "interface_addresses" in described else "interface_address"
        addresses = described.get(field)
        addresses = addresses if field == "interface_addresses" else [addresses]
        if not isinstance(addresses, list) or not addresses:
            raise self._refused(GATEWAY_FILE, f"{field}: is not a list of addresses")
        crt = self.directory / "gateway.crt"
        host = check(GATEWAY_FILE, endpoint, described.get("endpoint"), "endpoint")
        if not host:
            raise self._refused(GATEWAY_FILE, "endpoint: is empty")
        return Handover(
            gateway=self.gateway,
            public_key=check(GATEWAY_FILE, wireguard_key, described.get("public_key"), "public_key"),
            endpoint=host,
            listen_port=check(GATEWAY_FILE, port, described.get("listen_port"), "listen_port"),
            interface_addresses=tuple(
                check(GATEWAY_FILE, interface_address, value, f"{field}[{index}]")
                for index, value in enumerate(addresses)
            ),
            ipsec_id=check(GATEWAY_FILE, ike_identity, described.get("ipsec_id", ""), "ipsec_id"),
            certificate=check("gateway certificate", certificate, crt.read_text() if crt.exists() else "", "(PEM)"),
        )

    def supplier(self, name: str) -> tuple[list[dict], str | None]:
        """The hosts the gateway lets supplier ``name`` reach, and its side of an IPsec child SA."""
        suppliers = self.described.get("suppliers")
        if not isinstance(suppliers, dict):
            raise self._refused(GATEWAY_FILE, "suppliers: is not a mapping of supplier names")
        if name not in suppliers:
            raise LandingzoneError(
                f"vpn export: gateway {self.gateway} does not carry supplier {name} "
                "(its access ended, or the card was not applied yet)"
            )
        record = suppliers[name]
        field = f"suppliers.{name}"
        access = record.get("access") if isinstance(record, dict) else None
        if not isinstance(access, list):
            raise self._refused(GATEWAY_FILE, f"{field}.access: is not a list")
        rules = [self._checked(GATEWAY_FILE, access_rule, r, f"{field}.access[{i}]") for i, r in enumerate(access)]
        selectors = record.get("ipsec_local_ts")
        if selectors is not None:
            selectors = self._checked(GATEWAY_FILE, traffic_selectors, selectors, f"{field}.ipsec_local_ts")
        return rules, selectors

    def preshared_key(self) -> str:
        path = self.directory / "preshared.key"
        key = (path.read_text() if path.exists() else "").removesuffix("\n")
        # The key itself never reaches a message.
        if not KEY_PATTERN.fullmatch(key):
            raise self._refused("preshared key", "(file): is not a WireGuard key (base64 of 32 bytes)")
        return key
