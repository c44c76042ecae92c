"""The Windows catalog, as the engine receives it from the role: checked control by control,
selected for one host, with the management path always in.

A catalog is a mapping {area: [control, ...]} (roles/windows_baseline/controls/<area>.yml,
loaded with include_vars). Every mistake is a CatalogError naming the control and the field,
raised on the controller before anything reaches the host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.references import (
    DEFAULT_EDITION,
    EDITIONS,
    LEVEL_FIELDS,
    WINDOWS_FIELDS,
    check_references,
    edition_of,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
    LEVELS,
    ControlError,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows import management
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.schema import validate_control
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import TYPES

ID_PATTERN = re.compile(r"^LZW-[A-Z0-9]+-\d{3}$")
REQUIRED = (
    "id", "title", "rationale", "level", "level_2025", "cyfun", "cyfun_2025", "cis", "applies_to", "risk", "type",
    "params",
)  # fmt: skip
OPTIONAL = ("ms_baseline", "configured_when", "breaks_transport", "management_path", "reboot_required", "mdm")
# The MDM policy (Policy CSP <Area>/<Policy>) that manages the same setting, where one does.
MDM_PATTERN = re.compile(r"^[A-Za-z0-9_]+/[A-Za-z0-9_]+$")
# Passed to the engine; configured_when is the role's business and stops here. `level` becomes
# the level of the edition the control was selected in, named by `cyfun_edition`.
ENGINE_FIELDS = (
    "id", "title", "level", "cyfun", "cyfun_2025", "cyfun_edition", "cis", "ms_baseline", "applies_to", "risk", "type",
    "params", "reboot_required", "mdm",
)  # fmt: skip


class CatalogError(ControlError):
    pass


def plain(value):
    """Builtin dicts, lists and scalars, whatever containers Ansible handed over."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
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


def _fail(control_id, field, problem):
    raise CatalogError(f"control {control_id}: {field}: {problem}")


def _check_refs(control):
    """Every CyFun and CIS id must be in its list (references/); a setting CIS Windows 11 has no
    recommendation for cites none rather than one that does not exist."""
    control_id = control["id"]
    for level_field in LEVEL_FIELDS:
        if control[level_field] not in LEVELS:
            _fail(control_id, level_field, f"must be one of {', '.join(LEVELS)}, got {control[level_field]!r}")
    try:
        check_references(control_id, control, WINDOWS_FIELDS)
    except ControlError as exc:
        raise CatalogError(str(exc)) from None
    ms_baseline = control.get("ms_baseline", [])
    if not isinstance(ms_baseline, list) or not all(isinstance(v, str) and v.strip() for v in ms_baseline):
        _fail(control_id, "ms_baseline", "must be a list of Microsoft security baseline references")


def flatten(catalog):
    """Every control of the catalog in order, each checked (fields, refs, type and params)."""
    catalog = plain(catalog)
    if not isinstance(catalog, dict) or not catalog:
        raise CatalogError("catalog: must be a non-empty mapping of area name to a list of controls")
    controls, seen = [], {}
    for area, entries in catalog.items():
        if not isinstance(entries, list):
            raise CatalogError(f"catalog area {area}: must be a list of controls")
        for position, control in enumerate(entries):
            if not isinstance(control, dict) or not ID_PATTERN.match(str(control.get("id", ""))):
                raise CatalogError(
                    f"catalog area {area}: entry {position}: id: must look like LZW-<AREA>-<NNN>, "
                    f"got {control.get('id') if isinstance(control, dict) else control!r}"
                )
            control_id = control["id"]
            unknown = sorted(set(control) - set(REQUIRED) - set(OPTIONAL))
            if unknown:
                _fail(control_id, unknown[0], f"unknown field; a control has {', '.join(REQUIRED + OPTIONAL)}")
            for field in REQUIRED:
                if field not in control:
                    _fail(control_id, field, "is required")
            if not isinstance(control["rationale"], str) or not control["rationale"].strip():
                _fail(control_id, "rationale", "must be a non-empty string")
            _check_refs(control)
            if not isinstance(control.get("reboot_required", False), bool):
                _fail(control_id, "reboot_required", f"must be true or false, got {control['reboot_required']!r}")
            if "mdm" in control and not (isinstance(control["mdm"], str) and MDM_PATTERN.match(control["mdm"])):
                _fail(control_id, "mdm", f"must be a Policy CSP <Area>/<Policy> name, got {control['mdm']!r}")
            part = control.get("management_path")
            if part is not None and part not in management.PARTS:
                _fail(control_id, "management_path", f"must be one of {', '.join(management.PARTS)}, got {part!r}")
            if control_id in seen:
                _fail(control_id, "id", f"is used in area {seen[control_id]} and in area {area}")
            seen[control_id] = area
            if part is None:
                control = validate_control(control, TYPES)  # management params come later, from the engine
            controls.append(control)
    return controls


def select(controls, level, disabled, edition=DEFAULT_EDITION):
    """The controls of this level and below in the CyFun edition, minus those switched off or not
    configured; each with ``level`` set to its level in that edition and ``cyfun_edition`` naming it.

    The management path is not selected here: the engine always adds it (management.py).
    """
    if level not in LEVELS:
        raise CatalogError(f"level: must be one of {', '.join(LEVELS)}, got {level!r}")
    edition = in_edition_of(edition)
    level_field = EDITIONS[edition][0]
    wanted = LEVELS[: LEVELS.index(level) + 1]
    disabled = set(disabled)
    selected = []
    for control in controls:
        if control.get("management_path"):
            continue
        if control[level_field] not in wanted or control["id"] in disabled:
            continue
        if "configured_when" in control and not truthy(control["configured_when"]):
            continue
        selected.append(in_edition(control, edition))
    return selected


def in_edition_of(value):
    """The edition as an int; anything else is a CatalogError naming the task argument."""
    try:
        return edition_of(value)
    except ControlError as exc:
        raise CatalogError(f"edition: {exc}") from None


def in_edition(control, edition):
    """The control as the engine reports it in that edition: its level there, and the edition."""
    return dict(control, level=control[EDITIONS[edition][0]], cyfun_edition=edition)


def engine_record(control):
    """What the engine keeps of a control: its reporting fields and normalised params."""
    record = {field: control[field] for field in ENGINE_FIELDS if field in control}
    record["breaks_transport"] = list(control.get("breaks_transport") or [])
    if control.get("management_path"):
        record["management_path"] = control["management_path"]
    return record
