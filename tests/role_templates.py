"""A role's templates rendered on the controller as Ansible renders them: Jinja with the
collection's encoders and the few Ansible filters the roles use, undefined values an error."""

from pathlib import Path

import jinja2
from ansible.plugins.filter.core import FilterModule as AnsibleCoreFilters
from ansible.plugins.filter.urlsplit import split_url
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.host_word import host_word, https_base_url
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.rsyslog_encoding import rsyslog_string
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.systemd_encoding import unit_word, unit_words

ROLES = Path(__file__).resolve().parents[1] / "roles"
_ANSIBLE_FILTERS = ("bool", "regex_replace", "to_json", "to_nice_json", "dirname")
# Ansible's own "default" is left to Jinja's, which StrictUndefined supports.
FILTERS = {
    **{name: AnsibleCoreFilters().filters()[name] for name in _ANSIBLE_FILTERS},
    "ansible.builtin.urlsplit": split_url,
    "cyberveilig.landingzone.host_word": host_word,
    "cyberveilig.landingzone.https_base_url": https_base_url,
    "cyberveilig.landingzone.rsyslog_string": rsyslog_string,
    "cyberveilig.landingzone.unit_word": unit_word,
    "cyberveilig.landingzone.unit_words": unit_words,
}


def environment(role: str) -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(ROLES / role / "templates")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, loader=loader, keep_trailing_newline=True)
    env.filters.update(FILTERS)
    return env
