"""Reading a supplier role's contract (``roles/<role>/meta/landingzone.yml``).

The contract is what a supplier role promises the landing zone: the ports it listens on,
the data to back up, the services that hold its databases open, the check that proves the
service works, and the baseline controls it asks to have waived. Its JSON Schema
(schema/supplier-role-v1.json) says everything about its shape; this module turns the
schema's verdicts into messages that name the file and the field, and adds the one check
JSON Schema cannot make (``any`` stands alone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator, ValidationError, validators

from landingzone.errors import LandingzoneError
from landingzone.jsonschema_formats import DESCRIPTIONS, FORMAT_CHECKER

CONTRACT_VERSION = 1
CONTRACT_FILE = Path("meta") / "landingzone.yml"
SOURCE_WORDS = ("management", "municipality", "any")


class ContractError(LandingzoneError):
    """A contract that cannot be used; every problem names the file and the field."""

    def __init__(self, source, problems: list[tuple[str, str]]):
        self.source = str(source)
        self.problems = problems
        super().__init__("\n".join(f"{self.source}: {field}: {message}" for field, message in problems))


@dataclass(frozen=True)
class Contract:
    """A validated contract, as plain data, with the file it came from."""

    source: str
    data: dict

    @property
    def role(self) -> str:
        return self.data["role"]


@cache
def contract_schema() -> dict:
    text = resources.files("landingzone.supplier_role").joinpath(f"schema/supplier-role-v{CONTRACT_VERSION}.json")
    return json.loads(text.read_text(encoding="utf-8"))


def _unique_keys(validator, keys, instance, schema):
    """No two entries share the same values of all these keys (one port and protocol once)."""
    if not isinstance(instance, list):
        return
    first_seen = {}
    for index, item in enumerate(instance):
        if not isinstance(item, dict) or not all(key in item for key in keys):
            continue
        value = tuple(item[key] for key in keys)
        if value in first_seen:
            shown = "/".join(str(part) for part in value)
            yield ValidationError(f"{shown} is declared already by entry {first_seen[value]}", path=[index])
        else:
            first_seen[value] = index


ContractValidator = validators.extend(Draft202012Validator, {"uniqueKeys": _unique_keys})


def _field(path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _explain(error: ValidationError):
    path = tuple(error.absolute_path)
    kind, rule, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        for name in rule:
            if isinstance(value, dict) and name not in value:
                yield (*path, name), "is required"
    elif kind == "additionalProperties" and isinstance(value, dict):
        known = set(error.schema.get("properties", {}))
        for name in value:
            if name not in known:
                yield (*path, name), f"is not a field of the contract here; allowed: {', '.join(sorted(known))}"
    elif kind == "enum":
        yield path, f"must be one of {', '.join(map(str, rule))}; got {value!r}"
    elif kind == "const":
        yield path, f"must be {rule!r}; got {value!r}"
    elif kind == "format":
        reason = f" ({error.cause})" if error.cause else ""
        yield path, f"{value!r} is not {DESCRIPTIONS.get(rule, rule)}{reason}"
    elif kind == "anyOf" and path and "sources" in path:
        yield path, f"{value!r} is neither management, municipality, any nor a CIDR network (e.g. 10.1.2.0/24)"
    elif kind == "oneOf" and path == ("health_check",):
        yield path, "must be exactly one of {https: {port, path, expect}} or {command: {argv, expect}}, with timeout"
    elif kind == "pattern":
        hint = error.schema.get("description")
        yield path, f"{value!r} is not valid: {hint or 'it must match ' + rule}"
    elif kind == "uniqueItems" and isinstance(value, list):
        repeated = dict.fromkeys(item for index, item in enumerate(value) if item in value[:index])
        yield path, f"lists {', '.join(map(repr, repeated))} more than once"
    elif kind == "minLength":
        yield path, "must not be empty" if rule == 1 else f"must be at least {rule} characters"
    else:
        yield path, error.message


def problems_of(data) -> list[tuple[str, str]]:
    """Every problem of a contract as (field, message), in document order, without repeats."""
    validator = ContractValidator(contract_schema(), format_checker=FORMAT_CHECKER)
    problems: list[tuple[str, str]] = []
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        for path, message in _explain(error):
            problem = (_field(path), message)
            if problem not in problems:
                problems.append(problem)
    if not problems:
        for index, port in enumerate(data["ports"]):
            if "any" in port["sources"] and len(port["sources"]) > 1:
                problems.append((f"ports[{index}].sources", "'any' already admits everyone; list it alone"))
    return problems


def validate(data, source, role: str | None = None) -> Contract:
    """The contract of `data` read from `source`; ContractError naming each bad field otherwise."""
    if not isinstance(data, dict):
        raise ContractError(source, [("(top level)", "must be a mapping; see docs/supplier-roles.md")])
    problems = problems_of(data)
    if not problems and role is not None and data["role"] != role:
        problems.append(("role", f"says {data['role']!r}, but the file belongs to role {role!r}"))
    if problems:
        raise ContractError(source, problems)
    return Contract(source=str(source), data=json.loads(json.dumps(data)))


def load(role_dir: str | Path) -> Contract:
    """Read and validate ``<role_dir>/meta/landingzone.yml``."""
    role_dir = Path(role_dir)
    source = role_dir / CONTRACT_FILE
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(source, [("(file)", "missing: every supplier role declares its contract here")]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise ContractError(source, [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    return validate(data, source, role=role_dir.name)


def load_all(roles_dir: str | Path) -> list[Contract]:
    """The contract of every supplier role in `roles_dir` (a role with a meta/landingzone.yml),
    by role name; the landing zone's own roles have none. ContractError for the first bad one."""
    roles_dir = Path(roles_dir)
    if not roles_dir.is_dir():
        return []
    return [load(source.parent.parent) for source in sorted(roles_dir.glob(f"*/{CONTRACT_FILE.as_posix()}"))]
