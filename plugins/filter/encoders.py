"""Encoders for the files templates write: a value from a card, an inventory or a contract
reaches a file only through the encoder of that file's language.

The encoding itself lives in plugins/plugin_utils (one module per language), where the CLI and
the tests reach it too; these filters only turn its refusals into filter errors. The
documentation of each filter lives next to this file (``<filter>.yml``).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.apparmor_encoding import (
    apparmor_path as _apparmor_path,
)
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.host_word import host_word as _host_word
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.host_word import (
    https_base_url as _https_base_url,
)
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.rsyslog_encoding import (
    rsyslog_string as _rsyslog_string,
)
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.sshd_encoding import sshd_group as _sshd_group
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.systemd_encoding import (
    unit_word as _unit_word,
)
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.systemd_encoding import (
    unit_words as _unit_words,
)


def _refusing(name, encode):
    def encoder(value, *args):
        try:
            return encode(value, *args)
        except ValueError as exc:
            raise AnsibleFilterError(f"{name}: {exc}") from None

    encoder.__name__ = name
    return encoder


class FilterModule:
    """Encoders of cyberveilig.landingzone."""

    def filters(self):
        return {
            "apparmor_path": _refusing("apparmor_path", _apparmor_path),
            "host_word": _refusing("host_word", _host_word),
            "https_base_url": _refusing("https_base_url", _https_base_url),
            "rsyslog_string": _refusing("rsyslog_string", _rsyslog_string),
            "sshd_group": _refusing("sshd_group", _sshd_group),
            "unit_word": _refusing("unit_word", _unit_word),
            "unit_words": _refusing("unit_words", _unit_words),
        }
