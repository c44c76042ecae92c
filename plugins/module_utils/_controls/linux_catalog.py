"""The Linux catalog, selected for one host on the controller.

A catalog is data owned by a role (``roles/<role>/controls/<area>.yml``, each file a
mapping ``{<area>: [control, ...]}``). Selecting it checks every control's record
fields and references (the shared catalog layer, catalog.py), then picks the controls of
the host's level in its CyFun edition, minus the switched-off ones, and folds in the
adjustments other roles declare (forwarding, inbound services, sysctls). The params of
the selected controls are checked by their handlers afterwards (schema.validate_controls),
once. Every mistake is a ControlError naming the control id and the field.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import (
    HOST_KINDS,
    LEVELS,
    check_edition,
    check_level,
    check_record,
    check_switches,
    fail,
    is_list,
    level_field,
    plain,
    selected,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.errors import ControlError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.references import (
    DEFAULT_EDITION,
    LINUX_FIELDS,
)

ID_PATTERN = re.compile(r"^LZ-[A-Z0-9]+-\d{3}$")
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
ADJUSTMENT_FIELDS = ("role", "forwarding", "forward_from", "inbound", "sysctls")
INTERFACE_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,15}$")
# The sysctls a host that routes packets must have on; the baseline keeps them off otherwise.
FORWARDING_SYSCTLS = ("net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding")
# The role variable that switches controls off, named in its errors.
SWITCHES = "linux_baseline_disabled_controls"


def flatten(catalog):
    """Check every control of every area and return them in catalog order (area by area)."""
    if not isinstance(catalog, Mapping) or not catalog:
        raise ControlError("catalog: must be a non-empty mapping of area name to a list of controls")
    controls = []
    seen = {}
    for area in catalog:
        entries = catalog[area]
        if not is_list(entries):
            raise ControlError(f"catalog area {area}: must be a list of controls")
        for position, control in enumerate(entries):
            control_id = check_record(
                area, position, control, ID_PATTERN, "LZ-<AREA>-<NNN>", OPTIONAL_REFERENCE_FIELDS, LINUX_FIELDS
            )
            if control_id in seen:
                fail(control_id, "id", f"is used in area {seen[control_id]} and in area {area}")
            seen[control_id] = area
            controls.append(dict(control))
    return controls


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
    if not is_list(adjustments):
        raise ControlError("landingzone_baseline_adjustments: must be a list")
    for index, adjustment in enumerate(adjustments):
        where = f"landingzone_baseline_adjustments[{index}]"
        if not isinstance(adjustment, Mapping) or not isinstance(adjustment.get("role"), str):
            raise ControlError(f"{where}: role: every adjustment names the role that declares it")
        role = adjustment["role"]
        where = f"{where} (role {role})"
        unknown = sorted(set(adjustment) - set(ADJUSTMENT_FIELDS))
        if unknown:
            raise ControlError(f"{where}: {unknown[0]}: unknown field; allowed: {', '.join(ADJUSTMENT_FIELDS)}")
        forwarding = adjustment.get("forwarding", False)
        if not isinstance(forwarding, bool):
            raise ControlError(f"{where}: forwarding: must be true or false")
        if forwarding:
            merged["forwarding"] = True
            merged["forwarding_roles"].append(role)
        sources = adjustment.get("forward_from") or []
        merged["forward_from"].extend(_check_forward_from(where, role, sources, forwarding))
        merged["inbound"].extend(_check_inbound(where, role, adjustment.get("inbound") or []))
        sysctls = adjustment.get("sysctls") or {}
        if not isinstance(sysctls, Mapping):
            raise ControlError(f"{where}: sysctls: must be a mapping of key to value")
        for key, value in sysctls.items():
            previous = merged["sysctl_roles"].get(key)
            if previous and str(merged["sysctls"][key]) != str(value):
                raise ControlError(
                    f"{where}: sysctls.{key}: role {previous} wants {merged['sysctls'][key]!r}, this role {value!r}"
                )
            merged["sysctls"][key] = value
            merged["sysctl_roles"][key] = role
    return merged


def _check_forward_from(where, role, sources, forwarding):
    """Where a routing role's new forwarded traffic comes from: its interfaces, or packets
    the kernel's IPsec decrypted. The baseline forwards nothing else, whatever the role."""
    if not is_list(sources):
        raise ControlError(f"{where}: forward_from: must be a list of {{interface: NAME}} or {{ipsec: true}}")
    if sources and not forwarding:
        raise ControlError(f"{where}: forward_from: needs forwarding: true")
    checked = []
    for index, source in enumerate(sources):
        source_where = f"{where}: forward_from[{index}]"
        if not isinstance(source, Mapping) or set(source) - {"interface", "ipsec"}:
            raise ControlError(f"{source_where}: must be {{interface: NAME}} or {{ipsec: true}}")
        if ("interface" in source) == (source.get("ipsec") is True):
            raise ControlError(f"{source_where}: needs exactly one of interface: NAME or ipsec: true")
        if "interface" in source and not INTERFACE_PATTERN.match(str(source["interface"])):
            raise ControlError(f"{source_where}: interface: not an interface name: {source['interface']!r}")
        checked.append(dict(plain(source), comment=f"declared by role {role}"))
    return checked


def _check_inbound(where, role, rules):
    if not is_list(rules):
        raise ControlError(f"{where}: inbound: must be a list of {{port, proto, sources}}")
    checked = []
    for index, rule in enumerate(rules):
        rule_where = f"{where}: inbound[{index}]"
        if not isinstance(rule, Mapping) or "port" not in rule:
            raise ControlError(f"{rule_where}: port: is required")
        if rule.get("proto", "tcp") not in ("tcp", "udp"):
            raise ControlError(f"{rule_where}: proto: must be tcp or udp")
        sources = rule.get("sources", [])
        if not is_list(sources):
            raise ControlError(f"{rule_where}: sources: must be a list of CIDRs")
        for source in sources:
            try:
                ipaddress.ip_network(str(source), strict=False)
            except ValueError as exc:
                raise ControlError(f"{rule_where}: sources: not a CIDR: {source!r}") from exc
        checked.append(dict(plain(rule), comment=f"declared by role {role}"))
    return checked


def _adjust(control, merged):
    """Apply the declared adjustments to one control (a copy); its title says what was adjusted and for whom."""
    params = plain(control["params"])
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


def select(catalog, level, disabled=None, host_kind=None, adjustments=None, edition=DEFAULT_EDITION):
    """The controls one host runs (see selection)."""
    return selection(catalog, level, disabled, host_kind, adjustments, edition)[0]


def selection(catalog, level, disabled=None, host_kind=None, adjustments=None, edition=DEFAULT_EDITION, render=None):
    """The controls one host runs, in catalog order, as plain data for the engine, and every id of
    the catalog (a waiver may name a control this host does not run).

    ``level`` is a level of the CyFun ``edition`` (2023 or 2025): each control is selected by
    its level in that edition, and the engine gets that level as the control's ``level`` with
    the edition beside it, so that results and reports count per level of the card's edition.

    ``render(control_id, field, value)`` is for a catalog whose templates are still strings (read
    from its files, not handed over by Ansible): it is given a control's ``configured_when`` and,
    once the control is selected, its ``params`` (the two fields of a control that may hold a
    template), and returns them rendered with the host's variables. A control that is not
    selected never reaches it, so its templates, which may fail on this host, are never evaluated.
    """
    wanted_levels = check_level(level)
    edition = check_edition(edition)
    field = level_field(edition)
    if host_kind is not None and host_kind not in HOST_KINDS:
        raise ControlError(f"host_kind: must be one of {', '.join(HOST_KINDS)}, got {host_kind!r}")
    controls = flatten(catalog)
    known_ids = [control["id"] for control in controls]
    disabled = check_switches(disabled, known_ids, SWITCHES, by_control=True)
    merged = merge_adjustments(adjustments)
    controls.extend(_declared_sysctl_controls(controls, merged))
    chosen = []
    for control in controls:
        if not selected(control, wanted_levels, field, disabled, render):
            continue
        if host_kind is not None and host_kind not in control["applies_to"]:
            continue
        record = {name: control[name] for name in ENGINE_FIELDS}
        if render is not None:
            record["params"] = render(control["id"], "params", record["params"])
        record.update({name: control[name] for name in OPTIONAL_REFERENCE_FIELDS if name in control})
        record.update(level=control[field], cyfun_edition=edition)
        chosen.append(plain(_adjust(record, merged)))
    return chosen, known_ids
