# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""The control catalog of a role, read on the controller with libyaml, once per process and content.

The reading, its cache and its trust of templates are plugin_utils/catalog_files.py's, which the
linux_controls action plugin reads its catalog with too; this lookup gives a playbook the same
catalog as a variable, as ``ansible.builtin.include_vars`` would, without sending it from each
host's worker back to the main process.
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

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils import catalog_files
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.catalog_files import CatalogFileError


def read_catalog(directory: str) -> dict:
    """The catalog of ``directory`` (see plugin_utils/catalog_files.py), its errors as the lookup's."""
    try:
        return catalog_files.read_catalog(directory)
    except CatalogFileError as exc:
        raise AnsibleLookupError(str(exc)) from None


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        return [read_catalog(str(term)) for term in terms]
