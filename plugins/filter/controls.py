"""Filters that turn a role's control catalog into the list the engine runs.

A catalog is data owned by a role (``roles/<role>/controls/<area>.yml``, each file a
mapping ``{<area>: [control, ...]}``, loaded into one variable with
``ansible.builtin.include_vars``). These filters select the controls for one host
(CyFun edition and level, switches, host kind, declared adjustments of other roles),
list the catalog's ids, and summarise the engine's results. The work is the shared
catalog layer's (module_utils/_controls/linux_catalog.py and catalog.py), which the
action plugins use too; every mistake is reported as an ``AnsibleFilterError`` naming the
control id and the field, before the engine runs.

The documentation of each filter lives next to this file (``<filter>.yml``), as
ansible-doc expects for a file that holds several filters.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import linux_catalog
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import STATUSES
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.errors import ControlError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.references import DEFAULT_EDITION


def select_controls(catalog, level, disabled=None, host_kind=None, adjustments=None, edition=DEFAULT_EDITION):
    """The controls one host runs, in catalog order, as plain data for the engine (see linux_catalog.select)."""
    try:
        return linux_catalog.select(catalog, level, disabled, host_kind, adjustments, edition)
    except ControlError as exc:
        raise AnsibleFilterError(str(exc)) from None


def catalog_ids(catalog):
    """Every control id of the catalog, for the engine to tell a waiver of a switched-off
    control from a waiver of a control that does not exist."""
    try:
        return [control["id"] for control in linux_catalog.flatten(catalog)]
    except ControlError as exc:
        raise AnsibleFilterError(str(exc)) from None


def control_status_summary(results):
    """Counts per status, with the ids of every control that is not simply passing."""
    summary = {}
    for result in results or []:
        status = result.get("status", "error")
        entry = summary.setdefault(status, {"count": 0, "ids": []})
        entry["count"] += 1
        if status != "pass":
            entry["ids"].append(result.get("id"))
    ordered = {status: summary.pop(status) for status in STATUSES if status in summary}
    ordered.update(summary)
    for entry in ordered.values():
        if not entry["ids"]:
            del entry["ids"]
    return ordered


class FilterModule:
    """Control catalog filters of cyberveilig.landingzone."""

    def filters(self):
        return {
            "select_controls": select_controls,
            "catalog_ids": catalog_ids,
            "control_status_summary": control_status_summary,
        }
