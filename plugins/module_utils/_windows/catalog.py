"""The Windows catalog, as the engine receives it from the role: checked control by control,
selected for one host, with the management path always in.

A catalog is a mapping {area: [control, ...]} (roles/windows_baseline/controls/<area>.yml,
loaded with include_vars). Every mistake is a CatalogError naming the control and the field,
raised on the controller before anything reaches the host. The fields both catalogs share,
the selection and the params' check are the shared catalog layer's (_controls/catalog.py).
"""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import catalog as common
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import plain
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.errors import ControlError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.references import (
    DEFAULT_EDITION,
    EDITIONS,
    WINDOWS_FIELDS,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows import management
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.schema import validate_control
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import TYPES

ID_PATTERN = re.compile(r"^LZW-[A-Z0-9]+-\d{3}$")
REQUIRED = common.COMMON_FIELDS
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


def _fail(control_id, field, problem):
    raise CatalogError(f"control {control_id}: {field}: {problem}")


def _check_windows_fields(control):
    """The fields only Windows controls have."""
    control_id = control["id"]
    ms_baseline = control.get("ms_baseline", [])
    if not isinstance(ms_baseline, list) or not all(isinstance(v, str) and v.strip() for v in ms_baseline):
        _fail(control_id, "ms_baseline", "must be a list of Microsoft security baseline references")
    if not isinstance(control.get("reboot_required", False), bool):
        _fail(control_id, "reboot_required", f"must be true or false, got {control['reboot_required']!r}")
    if "mdm" in control and not (isinstance(control["mdm"], str) and MDM_PATTERN.match(control["mdm"])):
        _fail(control_id, "mdm", f"must be a Policy CSP <Area>/<Policy> name, got {control['mdm']!r}")
    part = control.get("management_path")
    if part is not None and part not in management.PARTS:
        _fail(control_id, "management_path", f"must be one of {', '.join(management.PARTS)}, got {part!r}")


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
            try:
                control_id = common.check_record(
                    area, position, control, ID_PATTERN, "LZW-<AREA>-<NNN>", OPTIONAL, WINDOWS_FIELDS
                )
                _check_windows_fields(control)
                if control_id in seen:
                    _fail(control_id, "id", f"is used in area {seen[control_id]} and in area {area}")
                seen[control_id] = area
                if not control.get("management_path"):
                    control = validate_control(control, TYPES)  # management params come later, from the engine
            except CatalogError:
                raise
            except ControlError as exc:
                raise CatalogError(str(exc)) from None
            controls.append(control)
    return controls


def select(controls, level, disabled, edition=DEFAULT_EDITION):
    """The controls of this level and below in the CyFun edition, minus those switched off or not
    configured; each with ``level`` set to its level in that edition and ``cyfun_edition`` naming it.

    The management path is not selected here: the engine always adds it (management.py).
    """
    try:
        wanted = common.check_level(level)
    except ControlError as exc:
        raise CatalogError(str(exc)) from None
    edition = in_edition_of(edition)
    field = common.level_field(edition)
    disabled = set(disabled)
    return [
        in_edition(control, edition)
        for control in controls
        if not control.get("management_path") and common.selected(control, wanted, field, disabled)
    ]


def in_edition_of(value):
    """The edition as an int; anything else is a CatalogError naming the task argument."""
    try:
        return common.check_edition(value)
    except ControlError as exc:
        raise CatalogError(str(exc)) from None


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
