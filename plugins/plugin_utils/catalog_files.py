# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""A role's control catalog read from its directory on the controller, with libyaml, once per
process and content of its files.

``ansible.builtin.include_vars`` reads a catalog with Ansible's own YAML loader (every value tagged
with its origin, about ten times slower than libyaml here) and sends the whole catalog back from
each host's worker to the main process, once per host. The control_catalog lookup and the
linux_controls action plugin read the same files here, in the worker that needs them, with
PyYAML's safe loader, and keep the parsed catalog per process keyed by the SHA-256 of the files'
bytes: a changed file is read again, never served from memory.

Like include_vars, the values that hold a Jinja expression (a control's ``params`` that name a
role variable, its ``configured_when``) are trusted as templates, so that whoever uses the catalog
renders them with the host's variables.
"""

from __future__ import annotations

import hashlib
import marshal
import os

import yaml
from ansible.errors import AnsibleError
from ansible.template import trust_as_template

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Per process: catalog directory -> (digest of its files, the catalog as marshal bytes). marshal
# gives every caller a fresh copy in a few milliseconds, so no caller can change another's.
_PARSED: dict[str, tuple[str, bytes]] = {}


class CatalogFileError(AnsibleError):
    """A catalog directory or file that cannot be read as a catalog; the message names it."""


def catalog_files(directory: str) -> list[str]:
    try:
        names = sorted(name for name in os.listdir(directory) if name.endswith(".yml"))
    except OSError as exc:
        raise CatalogFileError(f"control catalog {directory}: cannot be read: {exc.strerror}") from None
    if not names:
        raise CatalogFileError(f"control catalog {directory}: holds no .yml file")
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
            raise CatalogFileError(f"{path}: not valid YAML: {exc}") from None
        if areas is None:
            continue
        if not isinstance(areas, dict):
            raise CatalogFileError(f"{path}: a catalog file is a mapping of area name to a list of controls")
        for area, controls in areas.items():
            if area in origin:
                raise CatalogFileError(f"{path}: area {area}: already in {origin[area]}")
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
