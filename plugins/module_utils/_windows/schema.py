"""What a Windows control and the params of each Windows type look like.

The record fields, levels, risks, host kinds and the coercion of a param value are the
Linux engine's (module_utils/_controls/schema.py), so both engines accept and reject the
same things in the same words; only the types and their params are Windows' own.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
    HOST_KINDS,
    LEVELS,
    RISKS,
    ControlError,
    _coerce,
    _fail,
    _param,
)

GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")
REGISTRY_PATH = re.compile(r"^HKLM:\\[^\r\n\x00]+[^\\]$")
# What the engine knows of the connection it runs over (see transport.py): a control that
# would cut that very connection is rendered audit-only.
TRANSPORT_TRAITS = ("http", "basic", "credssp", "local_account")


def param(kind, **options):
    """A param spec; kinds beyond the Linux ones: value (int, str or list of str), cidrs, guid."""
    return _param(kind, **options)


def _coerce_windows(control_id, field, spec, value):
    kind = spec["kind"]
    if kind == "value":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, str)):
            return value
        if isinstance(value, list) and all(
            isinstance(item, (str, int)) and not isinstance(item, bool) for item in value
        ):
            return list(value)
        _fail(control_id, field, f"must be a number, a string or a list of them, got {value!r}")
    if kind == "guid":
        if not isinstance(value, str) or not GUID.match(value):
            _fail(control_id, field, f"must be a GUID, got {value!r}")
        return value.strip("{}").lower()
    if kind == "cidrs":
        if not isinstance(value, list):
            _fail(control_id, field, f"must be a list of CIDRs, got {value!r}")
        networks = []
        for item in value:
            try:
                networks.append(str(ipaddress.ip_network(str(item), strict=False)))
            except ValueError:
                _fail(control_id, field, f"not a CIDR: {item!r}")
        return networks
    return _coerce(control_id, field, spec, value)


def validate_params(control_id, ctype, params, types):
    if ctype not in types:
        _fail(control_id, "type", f"unknown type {ctype!r}; known: {', '.join(sorted(types))}")
    if not isinstance(params, dict):
        _fail(control_id, "params", f"must be a mapping, got {params!r}")
    schema = types[ctype].PARAMS
    unknown = sorted(set(params) - set(schema))
    if unknown:
        _fail(control_id, f"params.{unknown[0]}", f"unknown param for type {ctype}; allowed: {', '.join(schema)}")
    clean = {}
    for name, spec in schema.items():
        value = params.get(name)
        if value is None:
            if spec["required"]:
                _fail(control_id, f"params.{name}", "is required")
            default = spec["default"]
            clean[name] = list(default) if isinstance(default, list) else default
            continue
        value = _coerce_windows(control_id, f"params.{name}", spec, value)
        if spec["choices"] and value not in spec["choices"]:
            _fail(control_id, f"params.{name}", f"must be one of {', '.join(map(str, spec['choices']))}, got {value!r}")
        clean[name] = value
    check = getattr(types[ctype], "validate", None)
    if check:
        check(control_id, clean)
    return clean


def validate_control(control, types):
    """One Windows control, as the engine runs it; returns a copy with normalised params."""
    if not isinstance(control, dict):
        raise ControlError(f"control {control!r}: must be a mapping")
    control_id = control.get("id")
    if not isinstance(control_id, str) or not control_id.strip():
        raise ControlError(f"control {control.get('title', control)!r}: id: is required")
    for field in ("title", "type"):
        if not isinstance(control.get(field), str) or not control[field].strip():
            _fail(control_id, field, "is required")
    if control.get("level") not in LEVELS:
        _fail(control_id, "level", f"must be one of {', '.join(LEVELS)}, got {control.get('level')!r}")
    if control.get("risk") not in RISKS:
        _fail(control_id, "risk", f"must be one of {', '.join(RISKS)}, got {control.get('risk')!r}")
    applies_to = control.get("applies_to", ["server", "virtual_pc"])
    if not isinstance(applies_to, list) or not applies_to or not set(applies_to) <= set(HOST_KINDS):
        _fail(control_id, "applies_to", f"must be a non-empty list from {', '.join(HOST_KINDS)}, got {applies_to!r}")
    breaks = control.get("breaks_transport") or []
    if not isinstance(breaks, list) or not set(breaks) <= set(TRANSPORT_TRAITS):
        _fail(control_id, "breaks_transport", f"must be a list from {', '.join(TRANSPORT_TRAITS)}, got {breaks!r}")
    clean = dict(control, applies_to=list(applies_to), breaks_transport=list(breaks))
    clean["params"] = validate_params(control_id, control["type"], control.get("params") or {}, types)
    return clean


def check_registry_path(control_id, field, path):
    if not REGISTRY_PATH.match(path):
        _fail(control_id, field, f"must be a registry path under HKLM:\\ without a trailing backslash, got {path!r}")
