"""The catalog layer both engines share, on the controller: what a control record is, how a
catalog is selected for one host, and how a type's params are checked.

A control type, Linux handler or Windows type alike, is a module with ``PARAMS`` (a mapping
of param name to ``param(...)``) and optionally ``validate(control_id, params)`` for rules a
per-field check cannot express. Everything here raises ControlError naming the control id
and the field, before anything reaches a host.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import results
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.errors import ControlError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.references import (
    EDITIONS,
    LEVEL_FIELDS,
    ReferenceIdError,
    check_references,
    edition_of,
)

LEVELS = ("basic", "important", "essential")
RISKS = ("low", "medium", "high")
HOST_KINDS = ("server", "virtual_pc", "container")
# The engine's results own the statuses (results.py stands alone: a host's armed revert runs it).
STATUSES = results.STATUSES
# The fields every control of either catalog has.
COMMON_FIELDS = (
    "id", "title", "rationale", "level", "level_2025", "cyfun", "cyfun_2025", "cis", "applies_to", "risk", "type",
    "params",
)  # fmt: skip
# Read by the role and never passed on: a Jinja condition that says whether the
# municipality configured what the control needs (e.g. a log collector).
ROLE_ONLY_FIELDS = ("configured_when",)

_BOOL_WORDS = {"yes": True, "true": True, "on": True, "1": True, "no": False, "false": False, "off": False, "0": False}
GUID = re.compile(r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$")


def fail(control_id, field, problem):
    raise ControlError(f"control {control_id}: {field}: {problem}")


def is_list(value):
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def plain(value):
    """Builtin dicts, lists and scalars, whatever containers Ansible handed over."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if is_list(value):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


# ---- a control record -------------------------------------------------------------------


def check_record(area, position, control, id_pattern, id_shape, optional, reference_fields):
    """The fields every control has, checked the same way on both platforms; returns the id.

    ``optional`` names the fields this platform's controls may have besides the common ones,
    ``reference_fields`` the reference lists their ids are checked against.
    """
    if not isinstance(control, Mapping) or not id_pattern.match(str(control.get("id", ""))):
        got = control.get("id") if isinstance(control, Mapping) else control
        raise ControlError(f"catalog area {area}: entry {position}: id: must look like {id_shape}, got {got!r}")
    control_id = control["id"]
    unknown = sorted(set(control) - set(COMMON_FIELDS) - set(optional) - set(ROLE_ONLY_FIELDS))
    if unknown:
        fail(control_id, unknown[0], f"unknown field; a control has {', '.join(COMMON_FIELDS + tuple(optional))}")
    for field in COMMON_FIELDS:
        if field not in control:
            fail(control_id, field, "is required")
    for field in ("title", "rationale", "type"):
        if not isinstance(control[field], str) or not control[field].strip():
            fail(control_id, field, "must be a non-empty string")
    for level_field in LEVEL_FIELDS:
        if control[level_field] not in LEVELS:
            fail(control_id, level_field, f"must be one of {', '.join(LEVELS)}, got {control[level_field]!r}")
    if control["risk"] not in RISKS:
        fail(control_id, "risk", f"must be one of {', '.join(RISKS)}, got {control['risk']!r}")
    # Only the reference fields, as plain lists: copying params too would double the check's cost.
    check_references(control_id, {f: plain(control[f]) for f in reference_fields if f in control}, reference_fields)
    check_applies_to(control_id, control["applies_to"])
    if not isinstance(control["params"], Mapping):
        fail(control_id, "params", "must be a mapping")
    return control_id


def check_applies_to(control_id, applies_to):
    if not is_list(applies_to) or not applies_to or not set(applies_to) <= set(HOST_KINDS):
        fail(control_id, "applies_to", f"must be a non-empty list from {', '.join(HOST_KINDS)}, got {applies_to!r}")
    return list(applies_to)


def check_engine_fields(control, default_applies_to):
    """What an engine needs of a resolved control (its id, title, type, level, risk, applies_to);
    returns the control id and its applies_to."""
    if not isinstance(control, dict):
        raise ControlError(f"control {control!r}: must be a mapping")
    control_id = control.get("id")
    if not isinstance(control_id, str) or not control_id.strip():
        raise ControlError(f"control {control.get('title', control)!r}: id: is required")
    for field in ("title", "type"):
        if not isinstance(control.get(field), str) or not control[field].strip():
            fail(control_id, field, "is required")
    if control.get("level") not in LEVELS:
        fail(control_id, "level", f"must be one of {', '.join(LEVELS)}, got {control.get('level')!r}")
    if control.get("risk") not in RISKS:
        fail(control_id, "risk", f"must be one of {', '.join(RISKS)}, got {control.get('risk')!r}")
    return control_id, check_applies_to(control_id, control.get("applies_to", list(default_applies_to)))


# ---- selection ----------------------------------------------------------------------------


def check_level(level):
    if level not in LEVELS:
        raise ControlError(f"level: must be one of {', '.join(LEVELS)}, got {level!r}")
    return LEVELS[: LEVELS.index(level) + 1]


def check_edition(value):
    """The CyFun edition as an int; anything else is a ControlError naming the task argument."""
    try:
        return edition_of(value)
    except ReferenceIdError as exc:
        raise ControlError(f"edition: {exc}") from None


def level_field(edition):
    return EDITIONS[edition][0]


def check_switches(disabled, known_ids, variable, by_control=False):
    """The ids a host switches off, each one a control of the catalog. An unknown id is named
    after the variable (``variable: ID: ...``) or, ``by_control``, as a control's field."""
    if disabled in (None, ""):
        return []
    if not is_list(disabled):
        raise ControlError(f"{variable}: must be a list of control ids")
    known = set(known_ids)
    unknown = [control_id for control_id in disabled if control_id not in known]
    if unknown and by_control:
        fail(unknown[0], variable, "no such control in the catalog")
    if unknown:
        raise ControlError(f"{variable}: {unknown[0]}: no such control in the catalog")
    return list(disabled)


def selected(control, wanted_levels, field, disabled, render=None):
    """Whether a control of the catalog runs: its level, its switch, and what the role configured.

    ``render(control_id, field, value)``, when given, evaluates the ``configured_when`` template;
    it is called only for a control of the wanted levels that is not switched off."""
    if control[field] not in wanted_levels or control["id"] in disabled:
        return False
    if "configured_when" not in control:
        return True
    condition = control["configured_when"]
    return truthy(condition if render is None else render(control["id"], "configured_when", condition))


# ---- params -------------------------------------------------------------------------------


def param(kind, required=False, default=None, choices=None, elements=None, secret=False):
    """One param of a type. kind: str | path | int | bool | scalar (str/int/float, said as a
    string) | mode (octal) | list (of str or dict) | value (int, str or list of them) | guid | cidrs."""
    return {
        "kind": kind,
        "required": required,
        "default": default,
        "choices": choices,
        "elements": elements,
        "secret": secret,
    }


def coerce(control_id, field, spec, value):
    """The value in the form the handler works with, or a ControlError naming the field."""
    kind = spec["kind"]
    if kind in ("str", "path"):
        if not isinstance(value, str) or (spec["required"] and value == ""):
            fail(control_id, field, f"must be a non-empty string, got {value!r}")
        if kind == "path" and not value.startswith("/"):
            fail(control_id, field, f"must be an absolute path, got {value!r}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
            fail(control_id, field, f"must be a whole number, got {value!r}")
        return int(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _BOOL_WORDS:
            return _BOOL_WORDS[value.lower()]
        fail(control_id, field, f"must be true or false, got {value!r}")
    if kind == "scalar":
        if isinstance(value, bool):
            # YAML turns an unquoted `no` into False; sshd and sysctl want the word back.
            return "yes" if value else "no"
        if not isinstance(value, (str, int, float)):
            fail(control_id, field, f"must be a string or a number, got {value!r}")
        return str(value)
    if kind == "mode":
        return _coerce_mode(control_id, field, value)
    if kind == "list":
        if isinstance(value, str) and spec["elements"] == "str":
            value = [value]
        if not isinstance(value, list):
            fail(control_id, field, f"must be a list, got {value!r}")
        wanted = {"str": str, "dict": dict}[spec["elements"]]
        for item in value:
            if not isinstance(item, wanted) or (wanted is str and item == ""):
                fail(control_id, field, f"every item must be a {spec['elements']}, got {item!r}")
        return list(value)
    if kind == "value":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, (int, str)):
            return value
        if isinstance(value, list) and all(
            isinstance(item, (str, int)) and not isinstance(item, bool) for item in value
        ):
            return list(value)
        fail(control_id, field, f"must be a number, a string or a list of them, got {value!r}")
    if kind == "guid":
        if not isinstance(value, str) or not GUID.match(value):
            fail(control_id, field, f"must be a GUID, got {value!r}")
        return value.strip("{}").lower()
    if kind == "cidrs":
        if not isinstance(value, list):
            fail(control_id, field, f"must be a list of CIDRs, got {value!r}")
        networks = []
        for item in value:
            try:
                networks.append(str(ipaddress.ip_network(str(item), strict=False)))
            except ValueError:
                fail(control_id, field, f"not a CIDR: {item!r}")
        return networks
    raise AssertionError(f"unknown schema kind {kind}")  # a programming error, not a catalog error


def _coerce_mode(control_id, field, value):
    # An int is what YAML made of an unquoted 0640; a string must spell octal digits.
    if isinstance(value, bool):
        fail(control_id, field, f"must be an octal mode such as '0640', got {value!r}")
    if isinstance(value, int):
        mode = value
    elif isinstance(value, str) and re.fullmatch(r"0?[0-7]{3,4}", value):
        mode = int(value, 8)
    else:
        fail(control_id, field, f"must be an octal mode such as '0640', got {value!r}")
    if not 0 <= mode <= 0o7777:
        fail(control_id, field, f"mode out of range: {value!r}")
    return mode


def validate_params(control_id, ctype, params, types):
    """The params with defaults filled in and values normalised, by the PARAMS and validate()
    of the control's type in ``types`` ({type name: module}); or a ControlError."""
    if ctype not in types:
        fail(control_id, "type", f"unknown type {ctype!r}; known: {', '.join(sorted(types))}")
    if not isinstance(params, dict):
        fail(control_id, "params", f"must be a mapping, got {params!r}")
    schema = types[ctype].PARAMS
    unknown = sorted(set(params) - set(schema))
    if unknown:
        fail(control_id, f"params.{unknown[0]}", f"unknown param for type {ctype}; allowed: {', '.join(schema)}")
    clean = {}
    for name, spec in schema.items():
        value = params.get(name)
        if value is None:
            if spec["required"]:
                fail(control_id, f"params.{name}", "is required")
            default = spec["default"]
            clean[name] = list(default) if isinstance(default, list) else default
            continue
        try:
            value = coerce(control_id, f"params.{name}", spec, value)
        except ControlError:
            if spec["secret"]:
                # Never echo a secret back, not even a malformed one.
                fail(control_id, f"params.{name}", f"must be a {spec['kind']}")
            raise
        if spec["choices"] and value not in spec["choices"]:
            fail(control_id, f"params.{name}", f"must be one of {', '.join(map(str, spec['choices']))}, got {value!r}")
        clean[name] = value
    check = getattr(types[ctype], "validate", None)
    if check:
        check(control_id, clean)
    return clean


def secret_params(module):
    """The names of a type's params that never leave the controller in the clear."""
    return tuple(name for name, spec in module.PARAMS.items() if spec["secret"])


# ---- rules a type's validate() shares ------------------------------------------------------

# A single option word of sshd_config or sudoers.
OPTION_WORD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def check_one_line(control_id, field, value):
    """A value written as one line of a config file must not start another."""
    if "\n" in str(value or ""):
        fail(control_id, field, "must be one line")


def check_plain_name(control_id, field, name):
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
        fail(control_id, field, f"not a plain name: {name!r}")
