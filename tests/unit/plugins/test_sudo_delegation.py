"""sudo's noexec goes on named command rules only: the catalog refuses it as a default and on a rule
for ALL (both would stop Ansible's become and dpkg's maintainer scripts), and refuses a rule that
delegates a command without NOEXEC, without its arguments, or with a negation (ANSSI-BP-028 R41-R43)."""

from __future__ import annotations

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
    ControlError,
    validate_control,
)
from engine_harness import control

ACCEPTED = [
    "%lz-operators ALL=(ALL:ALL) ALL",
    "%lz-operators ALL=(ALL) NOPASSWD: ALL",
    '%lz-backup ALL=(root) NOEXEC: /usr/bin/systemctl restart restic-backup.service, /usr/bin/restic snapshots ""',
    "%lz-logs ALL=(root) NOPASSWD:NOEXEC: /usr/bin/journalctl -u ssh.service",
    # A tag holds for the commands after it, as sudo reads it.
    "%lz-logs ALL=(root) NOEXEC: /usr/bin/journalctl -u ssh.service, /usr/bin/journalctl -u cron.service",
]
REFUSED = [
    ("%lz-operators ALL=(ALL) NOEXEC: ALL", "NOEXEC on ALL stops Ansible's become"),
    ("%lz-operators ALL=(ALL) NOPASSWD:NOEXEC: ALL", "NOEXEC on ALL stops Ansible's become"),
    ("%lz-logs ALL=(root) /usr/bin/journalctl -u ssh.service", "needs NOEXEC"),
    ("%lz-logs ALL=(root) EXEC: /usr/bin/journalctl -u ssh.service", "needs NOEXEC"),
    # A tag reaches the commands after it, never one before it.
    ('%lz-logs ALL=(root) /usr/bin/less /var/log/syslog, NOEXEC: /usr/bin/uptime ""', "needs NOEXEC"),
    ("%lz-logs ALL=(root) NOEXEC: /usr/bin/less", "names no arguments"),
    ("%lz-logs ALL=(root) NOEXEC: /usr/bin/journalctl -u ssh.service, !/usr/bin/su", "negates '!/usr/bin/su'"),
    ('%lz-logs, !mallory ALL=(root) NOEXEC: /usr/bin/uptime ""', "negates a user or host"),
    ('%lz-logs,!mallory ALL=(root) NOEXEC: /usr/bin/uptime ""', "negates a user or host"),
    ('%lz-logs ALL, !dmz=(root) NOEXEC: /usr/bin/uptime ""', "negates a user or host"),
    ("just words", "must read 'who host = commands'"),
]


@pytest.mark.parametrize("rule", ACCEPTED)
def test_administrator_rules_and_delegations_with_noexec_and_arguments_are_accepted(rule):
    checked = validate_control(control("sudo_rule", {"name": "demo", "rule": rule}))
    assert checked["params"]["rule"] == rule


@pytest.mark.parametrize(("rule", "message"), REFUSED)
def test_a_rule_that_breaks_become_or_delegates_loosely_is_refused_naming_the_field(rule, message):
    with pytest.raises(ControlError) as refused:
        validate_control(control("sudo_rule", {"name": "demo", "rule": rule}, "LZ-DEMO-001"))
    assert str(refused.value).startswith("control LZ-DEMO-001: params.rule: ")
    assert message in str(refused.value)


def test_noexec_as_a_sudo_default_is_refused_but_its_negation_is_not():
    with pytest.raises(ControlError, match="params.option: noexec as a default breaks become"):
        validate_control(control("sudo_default", {"option": "noexec"}))
    assert validate_control(control("sudo_default", {"option": "!noexec"}))["params"]["option"] == "!noexec"
