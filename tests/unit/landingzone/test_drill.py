"""The drill's choices made before anything starts: which services, what the target is called, where."""

from pathlib import Path

import pytest

from landingzone.drill import drill_variables, services_to_drill
from landingzone.errors import LandingzoneError
from landingzone.lab.drill_target import target_name
from landingzone.lab.lab_addresses import free_address
from landingzone.lab.municipality_lab import Lab, LabHost
from landingzone.runner.job import Municipality

CARD = Path("inventories/gent/municipality.yml")
REGISTER = {"name": "bevolkingsregister", "hosts": ["gent-app1"], "tier": 1, "rto_minutes": 240}
WEBSITE = {"name": "website", "hosts": ["gent-app2", "gent-app3"], "tier": 2, "rto_minutes": 1440}
PORTAL = {"name": "citizen-portal", "hosts": ["gent-app1"], "tier": 1, "supplier_role": "citizen_portal"}


def _municipality(services):
    return Municipality("gent", "44021", Path("inventories/gent"), ["gent-app1"], {"landingzone_services": services})


def test_every_service_is_drilled_when_none_is_named():
    assert services_to_drill(_municipality([REGISTER, WEBSITE]), [], CARD) == [REGISTER, WEBSITE]


def test_the_most_critical_tier_is_drilled_first_in_card_order():
    chosen = services_to_drill(_municipality([WEBSITE, PORTAL, REGISTER]), [], CARD)
    assert chosen == [PORTAL, REGISTER, WEBSITE]


def test_named_services_come_in_the_order_asked_once_each():
    chosen = services_to_drill(_municipality([REGISTER, WEBSITE]), ["website", "bevolkingsregister", "website"], CARD)
    assert chosen == [WEBSITE, REGISTER]


def test_an_unknown_service_names_the_option_the_card_and_the_known_ones():
    with pytest.raises(LandingzoneError) as error:
        services_to_drill(_municipality([REGISTER, WEBSITE]), ["mail"], CARD)
    assert str(error.value) == (
        "--service: 'mail' is not a service on inventories/gent/municipality.yml"
        " (it names: bevolkingsregister, website)"
    )


def test_a_card_without_services_has_nothing_to_drill():
    with pytest.raises(LandingzoneError, match=r"municipality.yml: services: the card names no service"):
        services_to_drill(_municipality([]), [], CARD)


def test_the_drill_restores_the_first_host_of_the_service_and_keeps_the_start_time():
    variables = drill_variables(WEBSITE, "gent-drill-website", "10.231.10.254", 1700000000.5)
    (target,) = variables["landingzone_drill"]["targets"]
    assert target["source_host"] == "gent-app2" and target["services"] == [WEBSITE]
    assert (target["name"], target["address"]) == ("gent-drill-website", "10.231.10.254")
    assert variables["landingzone_drill"]["started_epoch"] == 1700000000.5


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("bevolkingsregister", "gent-drill-bevolkingsregister"),
        ("Burgerzaken & Loket", "gent-drill-burgerzaken-loket"),
        ("x" * 80, "gent-drill-" + "x" * 52),
    ],
)
def test_the_target_name_is_a_valid_host_and_container_name(service, expected):
    assert target_name("gent", service) == expected


def test_the_target_takes_the_highest_free_address_of_the_lab():
    hosts = [LabHost("gent-app1", "10.9.0.254", "img", "lz-gent"), LabHost("gent-app2", "10.9.0.11", "img", "lz-gent")]
    lab = Lab("gent", "lz-gent", "10.9.0.0/24", hosts, Path("/nonexistent"))
    assert free_address(lab, set()) == "10.9.0.253"
    assert free_address(lab, {"10.9.0.253"}) == "10.9.0.252"


def test_a_full_lab_subnet_is_a_clear_error():
    lab = Lab("gent", "lz-gent", "10.9.0.0/30", [LabHost("a", "10.9.0.2", "img", "lz-gent")], Path("/nonexistent"))
    with pytest.raises(LandingzoneError, match=r"no free address left in 10.9.0.0/30"):
        free_address(lab, set())


def _dual_stack_lab(subnet6="fd00:9::/64"):
    hosts = [
        LabHost("gent-app1", "10.9.0.11", "img", "lz-gent", address6="fd00:9::11"),
        LabHost("gent-app2", "10.9.0.12", "img", "lz-gent", address6="fd00:9:0:0:ffff:ffff:ffff:fffe"),
    ]
    return Lab("gent", "lz-gent", "10.9.0.0/24", hosts, Path("/nonexistent"), subnet6)


def test_on_a_dual_stack_lab_the_target_takes_a_free_ipv6_address_of_its_own():
    lab = _dual_stack_lab()
    # The planned address is written out in full in the inventory, podman reports it compressed.
    assert free_address(lab, set(), version=6) == "fd00:9::ffff:ffff:ffff:fffd"
    taken = {"fd00:9::ffff:ffff:ffff:fffd", "10.9.0.254"}
    assert free_address(lab, taken, version=6) == "fd00:9::ffff:ffff:ffff:fffc"
    assert free_address(lab, taken) == "10.9.0.253"
    assert free_address(lab, taken, version=6) not in {host.address6 for host in lab.hosts}


def test_a_full_ipv6_lab_subnet_is_a_clear_error():
    lab = _dual_stack_lab("fd00:9::10/126")
    with pytest.raises(LandingzoneError, match=r"no free address left in fd00:9::10/126"):
        free_address(lab, {"fd00:9::12"}, version=6)
