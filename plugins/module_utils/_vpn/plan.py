"""From the card's suppliers to what the gateway carries: peers, access rules, ended access.

Pure functions of their inputs (the card, the host addresses, what the gateway remembers
and the live handshakes), so the whole decision is unit-tested without a gateway.

- A supplier's access ends when its ``expires`` time has passed, or when the operator
  revoked it. An ended supplier gets no peer and a drop-only chain. A revocation is kept
  on the gateway for the key it was made for, so a later run from the unchanged card
  does not bring the revoked key back: the card has to give a new key. An expiry is kept
  for the expiry time it was made for: a later ``expires`` on the card opens access again.
- Key rotation: with ``next_public_key`` the gateway carries both peers (the next one
  at ``next_tunnel_address``), with the same access, until the next key has completed a
  handshake; from then on (and on every later run while the card still names that key)
  only the next key is carried.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import addresses, names

# Matched whole (fullmatch): ``$`` would let a final newline through.
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,30}")
KEY_PATTERN = re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=")
PROTOCOLS = ("wireguard", "ipsec")


# Bad input, named by its place: ``suppliers[1].vpn.tunnel_address: ...``.
PlanError = addresses.AddressError


def parse_time(text, where):
    try:
        moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError as exc:
        raise PlanError(f"{where}: {text!r} is not an ISO 8601 date-time ({exc})") from None
    if moment.tzinfo is None:
        raise PlanError(f"{where}: {text!r} has no time zone; write it with Z or an offset such as +02:00")
    return moment.astimezone(datetime.UTC)


def certificate_fingerprint(pem):
    """sha256 of the PEM text as given (whitespace at the ends ignored): what a revocation remembers."""
    return hashlib.sha256(pem.strip().encode()).hexdigest() if pem else None


def _host_addresses(host, at, host_addresses, tunnel_networks):
    """A host's addresses, one per address family it has (``host_addresses``: one or a list)."""
    found = []
    for text in addresses.as_list(host_addresses.get(host, host)):
        addresses.refuse_zone(text, f"{at}.host: {host!r}")
        try:
            address = ipaddress.ip_address(str(text))
        except ValueError:
            raise PlanError(
                f"{at}.host: {host!r} has no IP address (give the host ansible_host, lab_address "
                f"or an entry in vpn_gateway_host_addresses)"
            ) from None
        if any(address in tunnel for tunnel in tunnel_networks):
            raise PlanError(f"{at}.host: {host!r} ({address}) lies in the gateway's tunnel network")
        found.append(address)
    if not found:
        raise PlanError(f"{at}.host: {host!r} has no IP address")
    return found


def _access(supplier, where, host_addresses, tunnel_networks):
    """One rule per host address (IPv4, IPv6 or both), port and protocol."""
    rules = []
    for index, entry in enumerate(supplier.get("access") or []):
        at = f"{where}.access[{index}]"
        host = entry.get("host")
        found = _host_addresses(host, at, host_addresses, tunnel_networks)
        port = entry.get("port")
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise PlanError(f"{at}.port: must be a port number from 1 to 65535; got {port!r}")
        proto = entry.get("proto")
        if proto not in ("tcp", "udp"):
            raise PlanError(f"{at}.proto: must be tcp or udp; got {proto!r}")
        rules += [{"host": host, "address": str(address), "port": port, "proto": proto} for address in found]
    if not rules:
        raise PlanError(f"{where}.access: needs at least one host, port and proto")
    return rules


def _checked(supplier, index, host_addresses, networks):
    where = f"suppliers[{index}]"
    name = supplier.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise PlanError(f"{where}.name: {name!r} is not lower-case letters, digits and hyphens (1 to 31)")
    where = f"{where} ({name})"
    vpn = supplier.get("vpn") or {}
    protocol = vpn.get("protocol")
    if protocol not in PROTOCOLS:
        raise PlanError(f"{where}.vpn.protocol: must be wireguard or ipsec; got {protocol!r}")
    tunnel = addresses.check_tunnel_address(vpn.get("tunnel_address"), f"{where}.vpn.tunnel_address", networks)
    checked = {
        "name": name,
        "protocol": protocol,
        "tunnel_addresses": [str(address) for address in tunnel],
        "access": _access(supplier, where, host_addresses, networks),
        "expires": parse_time(supplier.get("expires"), f"{where}.expires"),
        "public_key": None,
        "next_public_key": None,
        "next_tunnel_addresses": [],
        "certificate": None,
    }
    if protocol == "wireguard":
        for field in ("public_key", "next_public_key"):
            key = vpn.get(field)
            if key is None and field == "next_public_key":
                continue
            if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
                raise PlanError(f"{where}.vpn.{field}: {key!r} is not a WireGuard public key (44 characters of base64)")
            checked[field] = key
        if checked["next_public_key"]:
            if checked["next_public_key"] == checked["public_key"]:
                raise PlanError(f"{where}.vpn.next_public_key: is the same key as public_key")
            if vpn.get("next_tunnel_address") is None:
                raise PlanError(f"{where}.vpn.next_tunnel_address: is required with next_public_key")
            following = addresses.check_tunnel_address(
                vpn["next_tunnel_address"], f"{where}.vpn.next_tunnel_address", networks
            )
            checked["next_tunnel_addresses"] = [str(address) for address in following]
    else:
        certificate = vpn.get("certificate")
        if not isinstance(certificate, str) or "-----BEGIN CERTIFICATE-----" not in certificate:
            raise PlanError(f"{where}.vpn.certificate: an IPsec supplier needs its PEM certificate")
        checked["certificate"] = certificate.strip() + "\n"
    return checked


def _overlaps(suppliers):
    """No two suppliers, and no supplier's current and next key, share a tunnel address."""
    fields = (("tunnel_addresses", "tunnel_address"), ("next_tunnel_addresses", "next_tunnel_address"))
    addresses.check_disjoint(
        [
            (f"suppliers[{index}] ({supplier['name']}).vpn.{card}", [ipaddress.ip_network(a) for a in supplier[field]])
            for index, supplier in enumerate(suppliers)
            for field, card in fields
        ]
    )


def _ended_by(record, supplier, now):
    """Whether an ended-access record still holds for this supplier as the card now describes it."""
    if record.get("reason") == "revoked":
        keys = {supplier["public_key"], supplier["next_public_key"]} - {None}
        fingerprint = certificate_fingerprint(supplier["certificate"])
        return bool(keys & set(record.get("wireguard_keys") or [])) or (
            fingerprint is not None and fingerprint == record.get("certificate_sha256")
        )
    if record.get("reason") == "expired":
        return supplier["expires"] <= now or record.get("expires") == supplier["expires"].isoformat()
    return False


def _end_record(supplier, reason, now):
    return {
        "reason": reason,
        "at": now.isoformat(timespec="seconds"),
        "expires": supplier["expires"].isoformat(),
        "wireguard_keys": [k for k in (supplier["public_key"], supplier["next_public_key"]) if k],
        "certificate_sha256": certificate_fingerprint(supplier["certificate"]),
    }


def _peers(supplier, rotated, handshakes):
    """The WireGuard peers of one supplier, and the rotation it has reached."""
    current = {"public_key": supplier["public_key"], "tunnel_addresses": supplier["tunnel_addresses"], "key": "current"}
    following = supplier["next_public_key"]
    if not following:
        return [current], None
    nxt = {"public_key": following, "tunnel_addresses": supplier["next_tunnel_addresses"], "key": "next"}
    if rotated == following or handshakes.get(following, 0) > 0:
        return [nxt], following
    return [current, nxt], None


def build(suppliers, host_addresses, ended, rotated, handshakes, now, tunnel_networks, revoke=()):
    """The whole decision. Returns a dict with ``active`` (suppliers that keep access, with
    their peers), ``ended`` (the records the gateway keeps, updated) and ``rotated``.
    ``tunnel_networks``: the gateway's, checked (:func:`addresses.checked_tunnel_networks`)."""
    checked = [_checked(s, i, host_addresses or {}, tunnel_networks) for i, s in enumerate(suppliers or [])]
    _overlaps(checked)
    known = {s["name"] for s in checked}
    unknown = sorted(set(revoke) - known)
    if unknown:
        raise PlanError(f"revoke: {unknown[0]!r} is not a supplier of this gateway's card")
    kept_ended, kept_rotated, active, ended_now = {}, {}, [], []
    for supplier in checked:
        name = supplier["name"]
        record = (ended or {}).get(name)
        if name in revoke:
            record = _end_record(supplier, "revoked", now)
        elif record is None or not _ended_by(record, supplier, now):
            record = _end_record(supplier, "expired", now) if supplier["expires"] <= now else None
        if record is not None:
            kept_ended[name] = record
            # A rotation it had finished stays finished for when its access opens again.
            if (rotated or {}).get(name) and rotated[name] == supplier["next_public_key"]:
                kept_rotated[name] = rotated[name]
            ended_now.append(dict(supplier, ended=record))
            continue
        entry = dict(supplier, peers=[], rotated_to=None)
        if supplier["protocol"] == "wireguard":
            entry["peers"], entry["rotated_to"] = _peers(supplier, (rotated or {}).get(name), handshakes or {})
            if entry["rotated_to"]:
                kept_rotated[name] = entry["rotated_to"]
        entry["sources"] = sorted(
            {a for p in entry["peers"] for a in p["tunnel_addresses"]} or set(supplier["tunnel_addresses"]),
        )
        active.append(entry)
    return {"active": active, "ended": kept_ended, "ended_suppliers": ended_now, "rotated": kept_rotated}


def serialisable(supplier):
    """A supplier of the plan as JSON: times as ISO text."""
    out = dict(supplier)
    out["expires"] = supplier["expires"].isoformat()
    out.pop("certificate", None)
    return out


__all__ = ["PlanError", "build", "certificate_fingerprint", "names", "parse_time", "serialisable"]
