"""Reading a supplier role's contract (``roles/<role>/meta/landingzone.yml``).

The contract is what a supplier role promises the landing zone: the ports it listens on,
the data to back up, the services that hold its databases open, the check that proves the
service works, and the baseline controls it asks to have waived. Its JSON Schema
(schema/supplier-role-v1.json beside this file) says everything about its shape; this module
turns the schema's verdicts into messages that name the file and the field, and adds the one
check JSON Schema cannot make (``any`` stands alone).

It lives in the collection because the collection's filters read contracts on the
controller, with nothing but ansible-core installed; the operator's CLI imports it from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.json_schema_subset import (
    field_name,
    iter_problems,
    meant_option,
)
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.yaml_limits import load_bounded

CONTRACT_VERSION = 1
CONTRACT_FILE = Path("meta") / "landingzone.yml"
SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / f"supplier-role-v{CONTRACT_VERSION}.json"
SOURCE_WORDS = ("management", "municipality", "any")


class ContractError(ValueError):
    """A contract that cannot be used; every problem names the file and the field."""

    # The operator's CLI exits 2 on bad input.
    exit_code = 2

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
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _worded(path, keyword, message, value):
    """The schema's verdict in the contract's own words where the generic one would puzzle."""
    if keyword == "additionalProperties":
        return message.replace("is not a field here", "is not a field of the contract here")
    if keyword == "anyOf" and "sources" in path:
        return f"{value!r} is neither management, municipality, any nor a CIDR network (e.g. 10.1.2.0/24)"
    if keyword == "oneOf" and path == ("health_check",):
        return "must be exactly one of {https: {port, path, expect}} or {command: {argv, expect}}, with timeout"
    return message


def _value_at(data, path):
    for part in path:
        data = data[part]
    return data


def problems_of(data) -> list[tuple[str, str]]:
    """Every problem of a contract as (field, message), in document order, without repeats."""
    found = sorted(iter_problems(contract_schema(), data), key=lambda problem: [str(part) for part in problem[0]])
    problems = []
    for path, keyword, message in found:
        value = _value_at(data, path) if keyword in ("anyOf", "oneOf") else None
        option = meant_option(contract_schema()["properties"]["health_check"]["oneOf"], value)
        if path == ("health_check",) and keyword == "oneOf" and option is not None:
            # {https: ...} or {command: ...} with a bad field inside: name that field.
            worded = [(field_name(where), text) for where, _keyword, text in iter_problems(option, value, path)]
        else:
            worded = [(field_name(path), _worded(path, keyword, message, value))]
        problems += [problem for problem in worded if problem not in problems]
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
        data = load_bounded(text)
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
