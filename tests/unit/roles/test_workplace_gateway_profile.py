"""HAProxy's AppArmor profile, as the workplace_gateway role renders it, grants what the gateway needs
and nothing else: the programs it may run, the files it may read outside its base abstraction, and
the privileged-port capability only for a privileged port. The profile's rules as apparmor_parser
reads them (--preprocess); that the kernel confines HAProxy with it is tests/vm/test_gateway_profile_vm.py.
"""

from __future__ import annotations

import pytest
from profile_rules import PARSER, abstractions_only, file_rules, preprocessed
from role_render import render

pytestmark = pytest.mark.skipif(PARSER is None, reason="apparmor_parser is missing (Debian package apparmor)")
ROLE = "workplace_gateway"
TEMPLATE = "apparmor-landingzone-haproxy.j2"


def own_rules(port: int) -> list[str]:
    """The profile's own rules, the base abstraction's left out."""
    base = abstractions_only("base")
    return [rule for rule in preprocessed(render(ROLE, TEMPLATE, workplace_gateway_rdp_port=port)) if rule not in base]


def test_it_runs_haproxy_and_systemds_kill_and_no_other_program():
    executable = {path for path, permissions in file_rules(own_rules(3389)).items() if "x" in permissions}
    assert executable == {"/usr/sbin/haproxy", "/usr/bin/kill"}


def test_it_reads_under_etc_its_configuration_its_map_and_the_account_files_only():
    readable = {path for path in file_rules(own_rules(3389)) if path.startswith("/etc/")}
    assert readable == {
        "/etc/haproxy/haproxy.cfg",
        "/etc/haproxy/workplace-desks.map",
        "/etc/nsswitch.conf",
        "/etc/passwd",
        "/etc/group",
        "/etc/ssl/openssl.cnf",
    }


@pytest.mark.parametrize(("port", "privileged"), [(3389, False), (1024, False), (1023, True), (443, True)])
def test_it_may_bind_a_privileged_port_only_when_the_gateways_port_is_one(port, privileged):
    rules = own_rules(port)
    assert ("capability net_bind_service," in rules) is privileged
    assert "deny capability net_admin," in rules and "capability net_admin," not in rules
