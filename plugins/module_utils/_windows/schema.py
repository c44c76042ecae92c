"""What a Windows control looks like as the engine runs it.

The record fields, levels, risks, host kinds, the params' coercion and their check are the
shared catalog layer's (module_utils/_controls/catalog.py), so both engines accept and reject
the same things in the same words; only the types (types/<type>.py, each with its PARAMS and
validate()) and the transport traits are Windows' own.
"""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import catalog

REGISTRY_PATH = re.compile(r"^HKLM:\\[^\r\n\x00]+[^\\]$")
# What the engine knows of the connection it runs over (see transport.py): a control that
# would cut that very connection is rendered audit-only.
TRANSPORT_TRAITS = ("http", "basic", "credssp", "local_account")


def validate_control(control, types):
    """One Windows control, as the engine runs it; returns a copy with normalised params."""
    control_id, applies_to = catalog.check_engine_fields(control, ("server", "virtual_pc"))
    breaks = control.get("breaks_transport") or []
    if not isinstance(breaks, list) or not set(breaks) <= set(TRANSPORT_TRAITS):
        catalog.fail(
            control_id, "breaks_transport", f"must be a list from {', '.join(TRANSPORT_TRAITS)}, got {breaks!r}"
        )
    clean = dict(control, applies_to=applies_to, breaks_transport=list(breaks))
    clean["params"] = catalog.validate_params(control_id, control["type"], control.get("params") or {}, types)
    return clean


def check_registry_path(control_id, field, path):
    if not REGISTRY_PATH.match(path):
        catalog.fail(
            control_id, field, f"must be a registry path under HKLM:\\ without a trailing backslash, got {path!r}"
        )
