"""log_sender_ports gives every Linux host of the inventory a port of its own, the same for the
collector and the sender, and refuses a host name that could not be a directory or a certificate name."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.filter.log_senders import (
    FilterModule,
    log_sender_ports,
    port_range,
)

GROUPS = {
    "all": ["demo-vpn1", "demo-app1", "demo-log1", "demo-vpc-01", "demo-app2"],
    "ungrouped": [],
    "app_servers": ["demo-app1", "demo-app2"],
    "windows": ["demo-vpc-01"],
}


def test_every_linux_host_gets_the_next_port_in_name_order():
    assert log_sender_ports(GROUPS, 6514) == {
        "demo-app1": 6514,
        "demo-app2": 6515,
        "demo-log1": 6516,
        "demo-vpn1": 6517,
    }
    assert port_range(log_sender_ports(GROUPS, "6514")) == "6514-6517"
    assert port_range({"one": 7000}) == "7000"


def test_the_order_of_the_inventory_does_not_matter():
    shuffled = dict(GROUPS, all=list(reversed(GROUPS["all"])))
    assert log_sender_ports(shuffled, 6514) == log_sender_ports(GROUPS, 6514)


@pytest.mark.parametrize("host", ["../x", "a/b", ".hidden", "", "with space", 'quo"te', "x" * 254])
def test_a_host_that_cannot_be_a_sender_name_is_refused_by_name(host):
    with pytest.raises(AnsibleFilterError, match="log_sender_ports: host") as error:
        log_sender_ports({"all": ["demo-app1", host]}, 6514)
    assert repr(host) in str(error.value)


def test_ports_must_fit_and_be_numbers():
    with pytest.raises(AnsibleFilterError, match="do not fit below 65536"):
        log_sender_ports({"all": ["a", "b"]}, 65535)
    with pytest.raises(AnsibleFilterError, match="first_port: not a port number"):
        log_sender_ports(GROUPS, "6514/tcp")
    with pytest.raises(AnsibleFilterError, match="the inventory's groups"):
        log_sender_ports(["demo-app1"], 6514)
    with pytest.raises(AnsibleFilterError, match="not one range"):
        port_range([6514, 6516])


def test_the_filters_are_registered_under_their_names():
    assert set(FilterModule().filters()) == {"log_sender_ports", "port_range"}
