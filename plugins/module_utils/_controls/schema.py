"""What a resolved Linux control looks like as the engine runs it, and its secret params.

The action plugin checks the catalog once, on the controller, with this file and the
shared catalog layer (catalog.py); each type's params are its handler's (PARAMS and
validate() in handlers/<type>.py). The module trusts that check; called directly, without
its action plugin, it checks with the same code, so a catalog error reads the same.
"""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import catalog
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import HOST_KINDS
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.errors import ControlError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.fileops import is_secret
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers import HANDLERS

# Each type's params, as its handler declares them.
TYPE_SCHEMAS = {ctype: handler.PARAMS for ctype, handler in HANDLERS.items()}
# Which params never leave the controller in the clear (moved to a no_log option).
SECRET_PARAMS = {ctype: catalog.secret_params(handler) for ctype, handler in HANDLERS.items()}


def validate_params(control_id, ctype, params):
    """Return the params with defaults filled in and values normalised, or raise ControlError."""
    return catalog.validate_params(control_id, ctype, params, HANDLERS)


def validate_control(control):
    """Validate one control record; return a copy with normalised params."""
    control_id, applies_to = catalog.check_engine_fields(control, HOST_KINDS)
    clean = dict(control)
    clean["applies_to"] = applies_to
    clean["params"] = validate_params(control_id, control["type"], control.get("params", {}))
    return clean


def validate_controls(controls):
    """Validate a whole resolved catalog: every control, and that ids are unique."""
    if not isinstance(controls, list):
        raise ControlError(f"controls: must be a list, got {type(controls).__name__}")
    seen = set()
    clean = []
    for control in controls:
        record = validate_control(control)
        if record["id"] in seen:
            catalog.fail(record["id"], "id", "is used by more than one control")
        seen.add(record["id"])
        clean.append(record)
    return clean


def _secret_names(control):
    names = SECRET_PARAMS.get(control.get("type"), ())
    params = control.get("params") or {}
    if control.get("type") == "file_content" and is_secret(str(params.get("path", ""))):
        names = (*names, "content")  # a private key's content is as secret as a password hash
    return names


def split_secrets(controls):
    """Take secret params out of the controls, so they travel in a no_log option instead."""
    public, secret = [], {}
    for control in controls:
        names = _secret_names(control)
        params = control.get("params") or {}
        hidden = {name: params[name] for name in names if params.get(name) is not None}
        if hidden:
            secret[control["id"]] = hidden
            control = dict(control, params={k: v for k, v in params.items() if k not in hidden})
        public.append(control)
    return public, secret


def merge_secrets(controls, secret):
    """The reverse of split_secrets, on the host."""
    merged = []
    for control in controls:
        hidden = (secret or {}).get(control.get("id"))
        if hidden:
            control = dict(control, params=dict(control.get("params") or {}, **hidden))
        merged.append(control)
    return merged
