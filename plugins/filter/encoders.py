"""Encoders for the files templates write: a value from a card, an inventory or a contract
reaches a file only through the encoder of that file's language.

The encoding itself lives in plugins/plugin_utils (one module per language), where the CLI and
the tests reach it too; these filters only turn its refusals into filter errors. The
documentation of each filter lives next to this file (``<filter>.yml``).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.host_word import host_word as _host_word
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.rsyslog_encoding import (
    rsyslog_string as _rsyslog_string,
)


def _refusing(name, encode):
    def encoder(value):
        try:
            return encode(value)
        except ValueError as exc:
            raise AnsibleFilterError(f"{name}: {exc}") from None

    encoder.__name__ = name
    return encoder


class FilterModule:
    """Encoders of cyberveilig.landingzone."""

    def filters(self):
        return {
            "host_word": _refusing("host_word", _host_word),
            "rsyslog_string": _refusing("rsyslog_string", _rsyslog_string),
        }
