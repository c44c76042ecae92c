"""A role's templates rendered as Ansible renders them on a host, without a host: the role's
defaults and vars (trusted, as Ansible trusts a role's own files) plus the test's variables
(untrusted, as values from a card or an inventory are: they are data, never templates)."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.cyberveilig.landingzone.plugins.filter.encoders import FilterModule as Encoders

REPO = Path(__file__).resolve().parents[1]


def _trusted(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return value


@cache
def _role_files(role: str) -> dict:
    """The role's defaults and vars, read once per process: the hostile-string tests render the
    same role's templates hundreds of times, and parsing its YAML was most of each render."""
    loader = DataLoader()
    found = {}
    for part in ("defaults", "vars"):
        found.update(_trusted(loader.load_from_file(str(REPO / "roles" / role / part / "main.yml")) or {}))
    return found


def role_variables(role: str, task_vars: dict | None = None, **variables) -> dict:
    """The role's defaults and vars, a task's own ``vars`` (trusted too), then ``variables``."""
    found = copy.deepcopy(_role_files(role))
    found.update(_trusted(task_vars or {}))
    found.update(ansible_managed="Ansible managed", **variables)
    return found


def _templar(variables: dict) -> Templar:
    """A Templar that also knows the collection's encoders by their full names: outside
    ansible-playbook, no collection loader resolves them (the environment attribute is the one
    place this ansible-core takes a filter of the caller's)."""
    templar = Templar(loader=DataLoader(), variables=variables)
    # Read the attribute once: each read prints a deprecation and walks the whole call stack for it.
    filters = templar.environment.filters
    for name, encoder in Encoders().filters().items():
        filters[f"cyberveilig.landingzone.{name}"] = encoder
    return templar


def render(role: str, template: str, **variables) -> str:
    """The text ``roles/<role>/templates/<template>`` renders to with ``variables``."""
    text = (REPO / "roles" / role / "templates" / template).read_text()
    return _templar(role_variables(role, **variables)).template(trust_as_template(text))


def value(role: str, expression: str, task_vars: dict | None = None, **variables):
    """What a Jinja expression of the role evaluates to, for the tasks' own expressions."""
    templar = _templar(role_variables(role, task_vars, **variables))
    return templar.template(trust_as_template("{{ " + expression + " }}"))


def text(role: str, template_text: str, task_vars: dict | None = None, **variables) -> str:
    """A task's templated string (a message, say), as the role renders it."""
    templar = _templar(role_variables(role, task_vars, **variables))
    return templar.template(trust_as_template(template_text))


def roles_dir() -> Path:
    return REPO / "roles"
