"""Waivers from the municipality card: which ones apply to this host, and are they still valid.

Runs on the controller (action plugin). A waiver is active up to and including its
expiry date; after that it is expired and the control is enforced again, with the
expired waiver shown next to the result so nobody wonders why it came back.
"""

from __future__ import annotations

import datetime
import fnmatch

REQUIRED = ("control", "hosts", "justification", "approver", "expires", "compensating_measure")
WARN_DAYS = 30


class WaiverError(ValueError):
    pass


def _expiry(waiver, where):
    value = waiver["expires"]
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value  # YAML turns an unquoted 2025-12-31 into a date already
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError as exc:
        raise WaiverError(f"{where}: expires: must be a date YYYY-MM-DD, got {value!r}") from exc


def _hosts(waiver, where):
    hosts = waiver["hosts"]
    if isinstance(hosts, str):
        hosts = [hosts]
    if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) and h for h in hosts):
        raise WaiverError(f"{where}: hosts: must be 'all' or a non-empty list of host names or patterns")
    return hosts


def normalise(waivers, known_ids):
    """Validate the card's waivers; return them with parsed dates and host lists."""
    if not isinstance(waivers, list):
        raise WaiverError("waivers: must be a list")
    clean = []
    for index, waiver in enumerate(waivers):
        where = f"waivers[{index}]"
        if not isinstance(waiver, dict):
            raise WaiverError(f"{where}: must be a mapping")
        if isinstance(waiver.get("control"), str):
            where = f"waiver for {waiver['control']}"
        for field in REQUIRED:
            if waiver.get(field) in (None, "", []):
                raise WaiverError(f"{where}: {field}: is required")
        if waiver["control"] not in known_ids:
            raise WaiverError(f"{where}: control: unknown control id {waiver['control']!r}")
        clean.append(dict(waiver, hosts=_hosts(waiver, where), expires=_expiry(waiver, where)))
    return clean


def applies_to_host(waiver, hostname, groups=()):
    """A waiver names hosts, shell-style host patterns, inventory groups or `all`."""
    return any(
        pattern == "all" or pattern in groups or fnmatch.fnmatchcase(hostname, pattern) for pattern in waiver["hosts"]
    )


def _pick(candidates, today):
    """Of several waivers for one control on one host: the active one lasting longest, else the latest expired."""
    active = [w for w in candidates if w["expires"] >= today]
    pool = active or candidates
    return max(pool, key=lambda w: w["expires"]), bool(active)


def annotate(controls, waivers, hostname, groups=(), known_ids=None, today=None):
    """Add `waiver` and `waiver_state` to the controls a waiver matches; return (controls, warnings).

    `known_ids` is every control id of the catalog: a waiver for a control this host does
    not run (switched off, above its level) is valid and simply has nothing to waive here,
    while a waiver for an id no catalog has is an error. Without it, the controls given are
    all that is known.
    """
    today = today or datetime.date.today()
    clean = normalise(waivers, set(known_ids or ()) | {c["id"] for c in controls})
    annotated, warnings = [], []
    for control in controls:
        candidates = [w for w in clean if w["control"] == control["id"] and applies_to_host(w, hostname, groups)]
        if not candidates:
            annotated.append(control)
            continue
        waiver, active = _pick(candidates, today)
        shown = {key: waiver[key] for key in REQUIRED if key != "hosts"}
        shown["expires"] = waiver["expires"].isoformat()
        annotated.append(dict(control, waiver=shown, waiver_state="active" if active else "expired"))
        days_left = (waiver["expires"] - today).days
        if active and days_left <= WARN_DAYS:
            warnings.append(
                f"waiver for {control['id']} on {hostname} expires on {shown['expires']} "
                f"({days_left} day{'s' if days_left != 1 else ''} left): renew it or fix the control"
            )
    return annotated, warnings
