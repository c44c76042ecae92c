"""Checks of the hardened services of a lab VM as they run: the SSH server's
effective configuration and the loaded firewall, against the catalog."""

import jinja2
import yaml
from ansible_collections.cyberveilig.landingzone.plugins.filter.encoders import FilterModule as Encoders
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.sshd_values import canonical
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers.nftables_ruleset import (
    TABLE as FIREWALL_TABLE,
)
from catalog import ROOT
from lab_vm import LabVm

ROLE_DEFAULTS = ROOT / "roles" / "linux_baseline" / "defaults" / "main.yml"


def render_param(value, extra_vars: dict):
    """A catalog value with the role's Jinja resolved as the role would, from its
    defaults and the run's extra vars (enough for the simple expressions of
    sshd options, with the collection's own encoders; an Ansible-only filter
    fails loudly here)."""
    if not isinstance(value, str) or "{{" not in value:
        return value
    variables = yaml.safe_load(ROLE_DEFAULTS.read_text(encoding="utf-8")) | extra_vars
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    environment.filters.update({f"cyberveilig.landingzone.{name}": f for name, f in Encoders().filters().items()})
    return environment.from_string(value).render(variables)


def effective_sshd_options(vm: LabVm) -> dict[str, str]:
    """`sshd -T`: lower-case keywords; a list-valued one comes once per value."""
    options: dict[str, list[str]] = {}
    for line in vm.ssh("sudo -n /usr/sbin/sshd -T").splitlines():
        keyword, _, value = line.partition(" ")
        options.setdefault(keyword, []).append(value.strip())
    return {keyword: " ".join(values) for keyword, values in options.items()}


def assert_sshd_options_in_effect(vm: LabVm, controls: list[dict], extra_vars: dict) -> None:
    effective = effective_sshd_options(vm)
    wrong = {}
    for control in controls:
        option = control["params"]["option"]
        expected = render_param(control["params"]["value"], extra_vars)
        found = effective.get(option.lower())
        if found is None or canonical(option, found) != canonical(option, expected):
            wrong[option] = (found, expected)
    assert not wrong, f"sshd -T differs from the catalog (effective, expected): {wrong}"


def assert_firewall_loaded(vm: LabVm) -> None:
    ruleset = vm.ssh("sudo -n nft list ruleset")
    assert f"table inet {FIREWALL_TABLE} " in ruleset, f"table inet {FIREWALL_TABLE} is not loaded:\n{ruleset}"
    chain = vm.ssh(f"sudo -n nft list chain inet {FIREWALL_TABLE} input")
    assert "policy drop;" in chain, f"the input chain does not drop by default:\n{chain}"
