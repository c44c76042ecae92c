"""Checking a card against its JSON Schema, the inventory and the control catalogs.

The schema (schema/municipality-v1.json) says everything JSON Schema can say, its patterns
read as JSON Schema means them (``$`` is the end of the text, never a final newline before it).
Keywords of our own cover what depends on the world outside the card:

- ``inventoryHost``: the value is a host of the municipality's inventory;
- ``hostSelection``: ``all``, or hosts, groups or shell patterns that match an inventory host;
- ``knownControlId``: the value is a control id of some role's catalog;
- ``supplierRole``: the value is a role of the collection with a valid supplier contract
  (``roles/<role>/meta/landingzone.yml``);
- ``inventoryGroups``: every key of the mapping is a group of the municipality's inventory;
- ``inventoryGroup``: the value is a group of the municipality's inventory;
- ``uniqueKeys``: no two entries of a list share the value of these keys (service names).

The VPN's tunnel addresses are checked against the card's networks by vpn_networks.py.

Every problem becomes (path, message) in words an operator understands.
"""

import fnmatch
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.json_schema_subset import compile_pattern, shown
from jsonschema import Draft202012Validator, ValidationError, validators

from landingzone.card.fields import walk
from landingzone.jsonschema_formats import DESCRIPTIONS, FORMAT_CHECKER
from landingzone.paths import collection_root
from landingzone.supplier_role import CONTRACT_FILE, ContractError
from landingzone.supplier_role import load as load_contract

SCHEMA_VERSION = 1
JSON_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "empty",
}


@cache
def card_schema() -> dict:
    text = resources.files("landingzone.card").joinpath(f"schema/municipality-v{SCHEMA_VERSION}.json").read_text()
    return json.loads(text)


def _type_word(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "empty" if value is None else type(value).__name__


def supplier_role_problem(name: str, roles_dir: Path) -> str | None:
    """Why ``name`` cannot be a service's supplier role, or None when it can."""
    if "/" in name or name.startswith(".") or not (roles_dir / name).is_dir():
        with_contract = sorted(path.parent.parent.name for path in roles_dir.glob(f"*/{CONTRACT_FILE}"))
        return f"{name!r} is not a role of the collection (roles with a supplier contract: {', '.join(with_contract)})"
    if not (roles_dir / name / CONTRACT_FILE).is_file():
        return f"role {name!r} has no supplier contract ({CONTRACT_FILE}); only a supplier role can be a service's"
    try:
        load_contract(roles_dir / name)
    except ContractError as exc:
        return f"the contract of role {name!r} is not valid: {exc.problems[0][0]}: {exc.problems[0][1]}"
    return None


def _validator_class(
    inventory_hosts: set[str], inventory_groups: set[str], control_ids: set[str], roles_dir: Path | None = None
):
    def inventory_name(names: set[str], kind: str):
        """The keyword that finds its value among the inventory's hosts or groups (``names``)."""

        def keyword(validator, enabled, instance, schema):
            # A name the schema's own pattern refuses is reported once, by the pattern.
            pattern = card_schema()["$defs"]["inventory_name"]["pattern"]
            if not isinstance(instance, str) or not compile_pattern(pattern).search(instance):
                return
            if enabled and instance not in names:
                yield ValidationError(f"{instance!r} is not a {kind} of the inventory")

        return keyword

    def host_selection(validator, enabled, instance, schema):
        names = [instance] if isinstance(instance, str) else instance
        if not enabled or not isinstance(names, list):
            return
        for index, name in enumerate(names):
            if not isinstance(name, str) or name == "all" or name in inventory_hosts or name in inventory_groups:
                continue
            if any(char in name for char in "*?[") and fnmatch.filter(sorted(inventory_hosts), name):
                continue
            path = [] if isinstance(instance, str) else [index]
            yield ValidationError(
                f"{name!r} is not 'all', a host or group of the inventory, or a pattern matching one of its hosts",
                path=path,
            )

    def inventory_groups_keyword(validator, enabled, instance, schema):
        if not enabled or not isinstance(instance, dict):
            return
        for name in instance:
            if name not in inventory_groups:
                yield ValidationError(f"{name!r} is not a group of the inventory", path=[name])

    def known_control_id(validator, enabled, instance, schema):
        if enabled and isinstance(instance, str) and instance not in control_ids:
            yield ValidationError(f"unknown control id {instance!r}")

    def supplier_role(validator, enabled, instance, schema):
        if enabled and isinstance(instance, str):
            problem = supplier_role_problem(instance, roles_dir or collection_root() / "roles")
            if problem:
                yield ValidationError(problem)

    def unique_keys(validator, keys, instance, schema):
        if not isinstance(instance, list):
            return
        for key in keys:
            first_seen = {}
            for index, item in enumerate(instance):
                if not isinstance(item, dict) or not isinstance(item.get(key), str | int):
                    continue
                value = item[key]
                if value in first_seen:
                    yield ValidationError(
                        f"{value!r} is used already by entry {first_seen[value]}; it must be unique", path=[index, key]
                    )
                else:
                    first_seen[value] = index

    def whole_string_pattern(validator, rule, instance, schema):
        # jsonschema searches with Python's `$`, which also matches before a final newline.
        if isinstance(instance, str) and not compile_pattern(rule).search(instance):
            yield ValidationError(f"{instance!r} does not match {rule!r}")

    return validators.extend(
        Draft202012Validator,
        {
            "pattern": whole_string_pattern,
            "inventoryHost": inventory_name(inventory_hosts, "host"),
            "inventoryGroups": inventory_groups_keyword,
            "inventoryGroup": inventory_name(inventory_groups, "group"),
            "hostSelection": host_selection,
            "knownControlId": known_control_id,
            "supplierRole": supplier_role,
            "uniqueKeys": unique_keys,
        },
    )


def schema_problems(
    card,
    *,
    inventory_hosts: set[str],
    inventory_groups: set[str],
    control_ids: set[str],
    roles_dir: Path | None = None,
) -> list[tuple[tuple, str]]:
    """Every problem of the card as (path, message), without duplicates, in document order.

    ``roles_dir`` holds the roles a service's ``supplier_role`` may name: the collection's own
    (found only when a card names one)."""
    validator_class = _validator_class(inventory_hosts, inventory_groups, control_ids, roles_dir)
    validator = validator_class(card_schema(), format_checker=FORMAT_CHECKER)
    problems: list[tuple[tuple, str]] = []
    for error in validator.iter_errors(card):
        for problem in _explain(error):
            if problem not in problems:
                problems.append(problem)
    return problems


def _explain(error: ValidationError):
    """(path, message) pairs for one jsonschema error."""
    path = tuple(error.absolute_path)
    value = error.instance
    kind = error.validator
    rule = error.validator_value
    hint = error.schema.get("description") if isinstance(error.schema, dict) else None
    if kind == "required":
        for field in rule:
            if isinstance(value, dict) and field not in value:
                yield (*path, field), f"is required ({hint})" if hint else "is required"
    elif kind == "dependentRequired" and isinstance(value, dict):
        for trigger, fields in rule.items():
            if trigger in value:
                for field in fields:
                    if field not in value:
                        yield (*path, field), f"is required with {trigger}"
    elif kind == "additionalProperties" and isinstance(value, dict):
        known = set(error.schema.get("properties", {}))
        for field in value:
            if field not in known:
                yield (*path, field), "is not a field of the card (misspelt, or in the wrong place?)"
    elif kind == "type":
        expected = rule if isinstance(rule, list) else [rule]
        wanted = " or ".join(JSON_TYPE_WORDS.get(name, name) for name in expected)
        yield path, f"must be {wanted}, not {_type_word(value)} ({shown(value)})"
    elif kind == "enum":
        yield path, f"must be one of {', '.join(map(str, rule))}; got {shown(value)}"
    elif kind == "const":
        yield path, f"must be {rule!r}; got {shown(value)}"
    elif kind == "pattern":
        yield path, f"{shown(value)} is not valid: {hint or 'it must match ' + rule}"
    elif kind == "format":
        reason = f" ({error.cause})" if error.cause else ""
        yield path, f"{shown(value)} is not {DESCRIPTIONS.get(rule, rule)}{reason}"
    elif kind in ("minimum", "maximum"):
        bound = "at least" if kind == "minimum" else "at most"
        yield path, f"must be {bound} {rule}; got {shown(value)}{' (' + hint + ')' if hint else ''}"
    elif kind == "maxItems":
        yield path, f"takes at most {rule} entries{' (' + hint + ')' if hint else ''}"
    elif kind == "minItems":
        yield path, f"needs at least {rule} {'entry' if rule == 1 else 'entries'}"
    elif kind == "minLength":
        yield path, "must not be empty" if rule == 1 else f"must be at least {rule} characters"
    elif kind == "maxLength":
        yield path, f"must be at most {rule} characters; got {len(value)}"
    elif kind == "uniqueItems":
        repeated = [item for index, item in enumerate(value) if item in value[:index]]
        yield path, f"lists {repeated[0]!r} more than once" if repeated else "has entries that repeat"
    else:
        yield path, error.message


def supplier_role_host_problems(card, group_hosts: Mapping[str, set[str]]) -> list[tuple[tuple, str]]:
    """A service's supplier role runs on the inventory group named after it (site.yml), so each
    of the service's hosts must be in that group: otherwise the card describes a service the
    landing zone never installs there, and the drill would bring back what was never backed up."""
    problems = []
    services = card.get("services")
    # A card whose services are no list has that reported by the schema.
    for index, service in enumerate(services if isinstance(services, list) else []):
        role = service.get("supplier_role") if isinstance(service, dict) else None
        hosts = service.get("hosts") if isinstance(service, dict) else None
        if not isinstance(role, str) or not isinstance(hosts, list):
            continue
        outside = [host for host in hosts if isinstance(host, str) and host not in group_hosts.get(role, set())]
        if outside:
            problems.append(
                (
                    ("services", index, "supplier_role"),
                    f"{', '.join(map(repr, outside))} {'is' if len(outside) == 1 else 'are'} not in the inventory "
                    f"group {role!r}, the hosts the role {role!r} is installed on",
                )
            )
    return problems


def identity_problems(card, group_hosts: Mapping[str, set[str]]) -> list[tuple[tuple, str]]:
    """A host has one identity: two of its groups may not be given different ones."""
    identity = card.get("identity")
    groups = identity.get("groups") if isinstance(identity, dict) else None
    if not isinstance(groups, dict):
        return []
    problems, first = [], {}
    for group, kind in groups.items():
        for host in sorted(group_hosts.get(group, set())):
            if host in first and first[host][1] != kind:
                problems.append(
                    (
                        ("identity", "groups", group),
                        f"gives host {host!r} the identity {kind!r}, but its group {first[host][0]!r} gives it "
                        f"{first[host][1]!r}; a host has one identity",
                    )
                )
            first.setdefault(host, (group, kind))
    return problems


JINJA_MARKERS = ("{{", "{%", "{#")


def template_problems(card) -> list[tuple[tuple, str]]:
    """Card values become Ansible variables, and Ansible renders templates in variables: a value
    with template markers would run as code on the controller. Card values are data only."""
    problems = []
    for path, value in walk(card):
        if isinstance(value, str) and any(marker in value for marker in JINJA_MARKERS):
            problems.append((path, "contains Jinja template markers ({{, {% or {#); card values are plain data"))
    return problems
