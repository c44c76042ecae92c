# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""The control catalog of a role, read on the controller with libyaml, once per process and content.

``ansible.builtin.include_vars`` reads a catalog with Ansible's own YAML loader (every value tagged
with its origin, about ten times slower than libyaml here) and sends the whole catalog back from
each host's worker to the main process, once per host. This lookup reads the same files in the
worker that needs them, with PyYAML's safe loader, and keeps the parsed catalog per process keyed
by the SHA-256 of the files' bytes: a changed file is read again, never served from memory.

Like include_vars, the values that hold a Jinja expression (a control's ``params`` that name a
role variable, its ``configured_when``) are trusted as templates, so they are rendered with the
host's variables wherever the catalog is used.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: control_catalog
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
version_added: 0.1.0
short_description: A role's control catalog, read once per controller process and content
description:
  - Reads every C(*.yml) file of a catalog directory (each a mapping of area name to a list of controls)
    and returns one mapping of every area, as M(ansible.builtin.include_vars) with
    O(ansible.builtin.include_vars#module:dir) would, without sending it from each host's worker back
    to the main process.
  - Files are read in name order. An area named in two files, a file that is not a mapping, and YAML that does
    not parse are errors naming the file.
  - The parsed catalog is kept per controller process, keyed by the SHA-256 of the files' bytes; a changed
    file is read again.
  - Strings that hold a Jinja expression are trusted as templates, as files read by include_vars are, so that
    they render with the host's variables where a variable set from the catalog (with
    M(ansible.builtin.set_fact)) is used.
  - The controls themselves are checked by P(cyberveilig.landingzone.select_controls#filter).
options:
  _terms:
    description: The catalog directory, for example C(roles/linux_baseline/controls) under the role's C(role_path).
    required: true
    type: list
    elements: path
"""

EXAMPLES = r"""
# Set as a fact: the expressions inside the catalog then render with the host's variables wherever
# the fact is used (the result of a template, such as task vars set from the lookup, is not
# rendered again).
- name: Load the control catalog
  ansible.builtin.set_fact:
    linux_baseline_catalog: "{{ lookup('cyberveilig.landingzone.control_catalog', role_path ~ '/controls') }}"
"""

RETURN = r"""
_raw:
  description: One mapping of area name to its list of controls, for each directory given.
  type: list
  elements: dict
"""

import hashlib
import marshal
import os

import yaml
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.template import trust_as_template

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Per process: catalog directory -> (digest of its files, the catalog as marshal bytes). marshal
# gives every caller a fresh copy in a few milliseconds, so no caller can change another's.
_PARSED: dict[str, tuple[str, bytes]] = {}


def catalog_files(directory: str) -> list[str]:
    try:
        names = sorted(name for name in os.listdir(directory) if name.endswith(".yml"))
    except OSError as exc:
        raise AnsibleLookupError(f"control catalog {directory}: cannot be read: {exc.strerror}") from None
    if not names:
        raise AnsibleLookupError(f"control catalog {directory}: holds no .yml file")
    return [os.path.join(directory, name) for name in names]


def read_catalog(directory: str) -> dict:
    """Every area of every file of ``directory``, parsed again only when a file's bytes changed."""
    contents = []
    digest = hashlib.sha256()
    for path in catalog_files(directory):
        with open(path, "rb") as handle:
            data = handle.read()
        contents.append((path, data))
        digest.update(path.encode() + b"\0" + hashlib.sha256(data).digest())
    key = os.path.realpath(directory)
    cached = _PARSED.get(key)
    if cached is None or cached[0] != digest.hexdigest():
        catalog = _parse(contents)
        try:
            cached = (digest.hexdigest(), marshal.dumps(catalog))
        except ValueError:  # a YAML type marshal does not keep (a date): parsed each time
            return _trusted(catalog)
        _PARSED[key] = cached
    return _trusted(marshal.loads(cached[1]))


def _parse(contents: list[tuple[str, bytes]]) -> dict:
    catalog: dict = {}
    origin: dict[str, str] = {}
    for path, data in contents:
        try:
            areas = yaml.load(data, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
        except yaml.YAMLError as exc:
            raise AnsibleLookupError(f"{path}: not valid YAML: {exc}") from None
        if areas is None:
            continue
        if not isinstance(areas, dict):
            raise AnsibleLookupError(f"{path}: a catalog file is a mapping of area name to a list of controls")
        for area, controls in areas.items():
            if area in origin:
                raise AnsibleLookupError(f"{path}: area {area}: already in {origin[area]}")
            origin[area] = path
            catalog[area] = controls
    return catalog


def _trusted(value):
    """The strings that may hold a template trusted as templates, as include_vars trusts its files."""
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    if isinstance(value, str) and "{" in value:
        return trust_as_template(value)
    return value


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return [read_catalog(str(term)) for term in terms]
