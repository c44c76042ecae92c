"""Filters that turn a role's control catalog into the list the engine runs.

A catalog is data owned by a role (``roles/<role>/controls/<area>.yml``, each file a
mapping ``{<area>: [control, ...]}``, loaded into one variable with
``ansible.builtin.include_vars``). These filters select the controls for one host
(CyFun edition and level, switches, host kind, declared adjustments of other roles),
check the waivers, and summarise the engine's results. Every mistake is reported as an
``AnsibleFilterError`` naming the control id and the field, before the engine runs.

The documentation of each filter lives next to this file (``<filter>.yml``), as
ansible-doc expects for a file that holds several filters.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.references import (
    DEFAULT_EDITION,
    EDITIONS,
    LEVEL_FIELDS,
    LINUX_FIELDS,
    ReferenceIdError,
    check_references,
    edition_of,
)

LEVELS = ("basic", "important", "essential")
RISKS = ("low", "medium", "high")
HOST_KINDS = ("server", "virtual_pc", "container")
STATUSES = ("pass", "fixed", "fail", "waived", "not_applicable", "error")
CONTROL_FIELDS = (
    "id", "title", "rationale", "level", "level_2025", "cyfun", "cyfun_2025", "cis", "applies_to", "risk", "type",
    "params",
)  # fmt: skip
# References a control may also cite; checked like the others when present.
OPTIONAL_REFERENCE_FIELDS = ("cis_debian13", "anssi")
# What the engine gets of a control: its level in the selected edition replaces both level fields.
ENGINE_FIELDS = (
    "id",
    "title",
    "rationale",
    "level",
    "cyfun",
    "cyfun_2025",
    "cis",
    "applies_to",
    "risk",
    "type",
    "params",
)
# Read by the role and never passed on: a Jinja condition that says whether the
# municipality configured what the control needs (e.g. a log collector).
ROLE_ONLY_FIELDS = ("configured_when",)
ID_PATTERN = re.compile(r"^LZ-[A-Z0-9]+-\d{3}$")
ADJUSTMENT_FIELDS = ("role", "forwarding", "forward_from", "inbound", "sysctls")
INTERFACE_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,15}$")
# The sysctls a host that routes packets must have on; the baseline keeps them off otherwise.
FORWARDING_SYSCTLS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")


def _fail(control_id, field, problem):
    raise AnsibleFilterError(f"control {control_id}: {field}: {problem}")


def _is_list(value):
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _plain(value):
    """A copy made of builtin dicts and lists, so the engine never sees lazy containers."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if _is_list(value):
        return [_plain(item) for item in value]
    return value


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


def flatten_catalog(catalog):
    """Check every control of every area and return them in catalog order (area by area)."""
    if not isinstance(catalog, Mapping) or not catalog:
        raise AnsibleFilterError("catalog: must be a non-empty mapping of area name to a list of controls")
    controls = []
    seen = {}
    for area in catalog:
        entries = catalog[area]
        if not _is_list(entries):
            raise AnsibleFilterError(f"catalog area {area}: must be a list of controls")
        for position, control in enumerate(entries):
            record = _check_control(area, position, control)
            if record["id"] in seen:
                _fail(record["id"], "id", f"is used in area {seen[record['id']]} and in area {area}")
            seen[record["id"]] = area
            controls.append(record)
    return controls


def _check_control(area, position, control):
    if not isinstance(control, Mapping):
        raise AnsibleFilterError(f"catalog area {area}: entry {position}: must be a mapping")
    control_id = control.get("id")
    if not isinstance(control_id, str) or not ID_PATTERN.match(control_id):
        raise AnsibleFilterError(
            f"catalog area {area}: entry {position}: id: must look like LZ-<AREA>-<NNN>, got {control_id!r}"
        )
    unknown = sorted(set(control) - set(CONTROL_FIELDS) - set(OPTIONAL_REFERENCE_FIELDS) - set(ROLE_ONLY_FIELDS))
    if unknown:
        _fail(control_id, unknown[0], f"unknown field; a control has {', '.join(CONTROL_FIELDS)}")
    for field in CONTROL_FIELDS:
        if field not in control:
            _fail(control_id, field, "is required")
    for field in ("title", "rationale", "type"):
        if not isinstance(control[field], str) or not control[field].strip():
            _fail(control_id, field, "must be a non-empty string")
    for level_field in LEVEL_FIELDS:
        if control[level_field] not in LEVELS:
            _fail(control_id, level_field, f"must be one of {', '.join(LEVELS)}, got {control[level_field]!r}")
    if control["risk"] not in RISKS:
        _fail(control_id, "risk", f"must be one of {', '.join(RISKS)}, got {control['risk']!r}")
    try:
        # Only the reference fields, as plain lists: copying params too would double the check's cost.
        check_references(control_id, {f: _plain(control[f]) for f in LINUX_FIELDS if f in control}, LINUX_FIELDS)
    except ReferenceIdError as exc:
        raise AnsibleFilterError(str(exc)) from None
    applies_to = control["applies_to"]
    if not _is_list(applies_to) or not applies_to or not set(applies_to) <= set(HOST_KINDS):
        _fail(control_id, "applies_to", f"must be a non-empty list from {', '.join(HOST_KINDS)}, got {applies_to!r}")
    if not isinstance(control["params"], Mapping):
        _fail(control_id, "params", "must be a mapping")
    return dict(control)


def merge_adjustments(adjustments):
    """Fold the adjustments other roles declare into one: forwarding, extra inbound rules, sysctls."""
    merged = {
        "forwarding": False,
        "forwarding_roles": [],
        "forward_from": [],
        "inbound": [],
        "sysctls": {},
        "sysctl_roles": {},
    }
    if adjustments in (None, ""):
        return merged
    if not _is_list(adjustments):
        raise AnsibleFilterError("landingzone_baseline_adjustments: must be a list")
    for index, adjustment in enumerate(adjustments):
        where = f"landingzone_baseline_adjustments[{index}]"
        if not isinstance(adjustment, Mapping) or not isinstance(adjustment.get("role"), str):
            raise AnsibleFilterError(f"{where}: role: every adjustment names the role that declares it")
        role = adjustment["role"]
        where = f"{where} (role {role})"
        unknown = sorted(set(adjustment) - set(ADJUSTMENT_FIELDS))
        if unknown:
            raise AnsibleFilterError(f"{where}: {unknown[0]}: unknown field; allowed: {', '.join(ADJUSTMENT_FIELDS)}")
        forwarding = adjustment.get("forwarding", False)
        if not isinstance(forwarding, bool):
            raise AnsibleFilterError(f"{where}: forwarding: must be true or false")
        if forwarding:
            merged["forwarding"] = True
            merged["forwarding_roles"].append(role)
        sources = adjustment.get("forward_from") or []
        merged["forward_from"].extend(_check_forward_from(where, role, sources, forwarding))
        merged["inbound"].extend(_check_inbound(where, role, adjustment.get("inbound") or []))
        sysctls = adjustment.get("sysctls") or {}
        if not isinstance(sysctls, Mapping):
            raise AnsibleFilterError(f"{where}: sysctls: must be a mapping of key to value")
        for key, value in sysctls.items():
            previous = merged["sysctl_roles"].get(key)
            if previous and str(merged["sysctls"][key]) != str(value):
                raise AnsibleFilterError(
                    f"{where}: sysctls.{key}: role {previous} wants {merged['sysctls'][key]!r}, this role {value!r}"
                )
            merged["sysctls"][key] = value
            merged["sysctl_roles"][key] = role
    return merged


def _check_forward_from(where, role, sources, forwarding):
    """Where a routing role's new forwarded traffic comes from: its interfaces, or packets
    the kernel's IPsec decrypted. The baseline forwards nothing else, whatever the role."""
    if not _is_list(sources):
        raise AnsibleFilterError(f"{where}: forward_from: must be a list of {{interface: NAME}} or {{ipsec: true}}")
    if sources and not forwarding:
        raise AnsibleFilterError(f"{where}: forward_from: needs forwarding: true")
    checked = []
    for index, source in enumerate(sources):
        source_where = f"{where}: forward_from[{index}]"
        if not isinstance(source, Mapping) or set(source) - {"interface", "ipsec"}:
            raise AnsibleFilterError(f"{source_where}: must be {{interface: NAME}} or {{ipsec: true}}")
        if ("interface" in source) == (source.get("ipsec") is True):
            raise AnsibleFilterError(f"{source_where}: needs exactly one of interface: NAME or ipsec: true")
        if "interface" in source and not INTERFACE_PATTERN.match(str(source["interface"])):
            raise AnsibleFilterError(f"{source_where}: interface: not an interface name: {source['interface']!r}")
        checked.append(dict(_plain(source), comment=f"declared by role {role}"))
    return checked


def _check_inbound(where, role, rules):
    if not _is_list(rules):
        raise AnsibleFilterError(f"{where}: inbound: must be a list of {{port, proto, sources}}")
    checked = []
    for index, rule in enumerate(rules):
        rule_where = f"{where}: inbound[{index}]"
        if not isinstance(rule, Mapping) or "port" not in rule:
            raise AnsibleFilterError(f"{rule_where}: port: is required")
        if rule.get("proto", "tcp") not in ("tcp", "udp"):
            raise AnsibleFilterError(f"{rule_where}: proto: must be tcp or udp")
        sources = rule.get("sources", [])
        if not _is_list(sources):
            raise AnsibleFilterError(f"{rule_where}: sources: must be a list of CIDRs")
        for source in sources:
            try:
                ipaddress.ip_network(str(source), strict=False)
            except ValueError as exc:
                raise AnsibleFilterError(f"{rule_where}: sources: not a CIDR: {source!r}") from exc
        checked.append(dict(_plain(rule), comment=f"declared by role {role}"))
    return checked


def _adjust(control, merged):
    """Apply the declared adjustments to one control (a copy); its title says what was adjusted and for whom."""
    params = _plain(control["params"])
    notes = []
    forwarding_by = ", ".join(merged["forwarding_roles"])
    if control["type"] == "sysctl":
        key = params.get("key")
        if key in merged["sysctls"]:
            params["value"] = merged["sysctls"][key]
            notes.append(f"set to {params['value']} for role {merged['sysctl_roles'][key]}")
        elif merged["forwarding"] and key in FORWARDING_SYSCTLS:
            params["value"] = 1
            notes.append(f"forwarding on for {forwarding_by}")
    elif control["type"] == "nftables_ruleset":
        if merged["forwarding"]:
            params["forwarding"] = True
            params["forward_from"] = merged["forward_from"]
            notes.append(f"forwarding on for {forwarding_by}")
        if merged["inbound"]:
            params["allowed_inbound"] = list(params.get("allowed_inbound") or []) + merged["inbound"]
            roles = dict.fromkeys(rule["comment"].removeprefix("declared by role ") for rule in merged["inbound"])
            notes.append(f"inbound services of {', '.join(roles)}")
    adjusted = dict(control)
    adjusted["params"] = params
    if notes and not control["id"].startswith("LZ-ADJ-"):
        adjusted["title"] = f"{control['title']} (adjusted: {'; '.join(notes)})"
    return adjusted


def _declared_sysctl_controls(controls, merged):
    """A control for every sysctl another role declares that the catalog does not manage yet.

    The baseline stays the only writer of its sysctl file: a role declares what it
    needs and the baseline enforces and reports it like any other control.
    """
    managed = {c["params"].get("key") for c in controls if c["type"] == "sysctl"}
    extra = []
    for key in sorted(set(merged["sysctls"]) - managed):
        role = merged["sysctl_roles"][key]
        extra.append(
            {
                "id": f"LZ-ADJ-{len(extra) + 1:03d}",
                "title": f"Kernel parameter {key} is set as role {role} declares",
                "rationale": f"Role {role} needs it and declared it in landingzone_baseline_adjustments.",
                "level": LEVELS[0],
                "level_2025": LEVELS[0],
                "cyfun": ["PR.IP-1.1"],
                "cyfun_2025": ["PR.PS-01.1"],
                "cis": [],
                "applies_to": list(HOST_KINDS),
                "risk": "medium",
                "type": "sysctl",
                "params": {"key": key, "value": merged["sysctls"][key]},
            }
        )
    return extra


def select_controls(catalog, level, disabled=None, host_kind=None, adjustments=None, edition=DEFAULT_EDITION):
    """The controls one host runs, in catalog order, as plain data for the engine.

    ``level`` is a level of the CyFun ``edition`` (2023 or 2025): each control is selected by
    its level in that edition, and the engine gets that level as the control's ``level`` with
    the edition beside it, so that results and reports count per level of the card's edition.
    """
    if level not in LEVELS:
        raise AnsibleFilterError(f"level: must be one of {', '.join(LEVELS)}, got {level!r}")
    try:
        edition = edition_of(edition)
    except ReferenceIdError as exc:
        raise AnsibleFilterError(str(exc)) from None
    level_field = EDITIONS[edition][0]
    if host_kind is not None and host_kind not in HOST_KINDS:
        raise AnsibleFilterError(f"host_kind: must be one of {', '.join(HOST_KINDS)}, got {host_kind!r}")
    controls = flatten_catalog(catalog)
    known = {control["id"] for control in controls}
    disabled = list(disabled or [])
    unknown = [control_id for control_id in disabled if control_id not in known]
    if unknown:
        _fail(unknown[0], "linux_baseline_disabled_controls", "no such control in the catalog")
    merged = merge_adjustments(adjustments)
    controls.extend(_declared_sysctl_controls(controls, merged))
    wanted_levels = LEVELS[: LEVELS.index(level) + 1]
    selected = []
    for control in controls:
        if control[level_field] not in wanted_levels or control["id"] in disabled:
            continue
        if host_kind is not None and host_kind not in control["applies_to"]:
            continue
        if "configured_when" in control and not _truthy(control["configured_when"]):
            continue
        record = {field: control[field] for field in ENGINE_FIELDS}
        record.update({field: control[field] for field in OPTIONAL_REFERENCE_FIELDS if field in control})
        record.update(level=control[level_field], cyfun_edition=edition)
        selected.append(_plain(_adjust(record, merged)))
    return selected


def catalog_ids(catalog):
    """Every control id of the catalog, for the engine to tell a waiver of a switched-off
    control from a waiver of a control that does not exist."""
    return [control["id"] for control in flatten_catalog(catalog)]


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
