"""The order a whole-municipality drill brings its tier-1 services back in: hosts first (the log
collector's before any), then services as soon as what they need is back, card order for ties."""

import random
from pathlib import Path

import pytest
import yaml

from landingzone.restore_order import RestoreStep, restore_order

ROOT = Path(__file__).resolve().parents[3]


def service(name, tier=1, *needs):
    entry = {"name": name, "hosts": [f"{name}-host"], "tier": tier}
    if needs:
        entry["depends_on"] = list(needs)
    return entry


def names(steps):
    return [f"{step.kind}:{step.name}" for step in steps]


def test_the_demo_card_brings_the_log_collector_back_before_its_tier_1_services():
    card = yaml.safe_load((ROOT / "inventories" / "demo" / "municipality.yml").read_text())
    inventory = (ROOT / "inventories" / "demo" / "hosts.yml").read_text()
    log_host = card["log_collector"]["host"]
    assert f"{log_host}:" in inventory  # the demo runs its own collector, a host the drill can rebuild
    assert restore_order(card["services"], log_host) == [
        RestoreStep("host", "demo-log1"),
        RestoreStep("service", "citizen-portal"),
        RestoreStep("service", "bevolkingsregister"),
    ]


def test_without_dependencies_the_tier_1_services_come_in_card_order():
    services = [service("c"), service("web", 2), service("a"), service("b", 3), service("d")]
    assert names(restore_order(services)) == ["service:c", "service:a", "service:d"]


def test_the_log_collector_comes_first_even_when_no_service_names_it():
    services = [service("portal", 1, "db1"), service("register")]
    assert names(restore_order(services, "log1")) == ["host:log1", "host:db1", "service:portal", "service:register"]


def test_a_log_collector_a_service_also_names_is_one_step():
    services = [service("portal", 1, "db1", "log1")]
    assert names(restore_order(services, "log1")) == ["host:log1", "host:db1", "service:portal"]


def test_a_host_a_service_needs_brings_back_the_services_it_runs_first():
    database = {**service("database", 3), "hosts": ["db1"]}
    reports = {**service("reports", 2), "hosts": ["db1", "app2"]}
    services = [service("portal", 1, "db1"), service("website", 2), reports, database]
    # The portal needs the host db1: what runs there (a tier-3 and a tier-2 service) comes back
    # first, in card order; the website, on no host anyone needs, stays out.
    assert names(restore_order(services)) == ["host:db1", "service:reports", "service:database", "service:portal"]


def test_the_log_collectors_host_is_back_with_its_collector_not_with_the_services_on_it():
    viewer = {**service("viewer", 1, "portal"), "hosts": ["log1"]}
    portal = service("portal", 1, "log1")
    # The portal needs the collector's host; the viewer, placed there, needs the portal: no cycle.
    assert names(restore_order([viewer, portal], "log1")) == ["host:log1", "service:portal", "service:viewer"]


def test_a_cycle_through_a_host_a_service_runs_on_is_refused():
    portal = service("portal", 1, "db1")
    database = {**service("database", 2, "portal"), "hosts": ["db1"]}
    with pytest.raises(ValueError, match="database, portal depend on each other in a cycle .*through the hosts"):
        restore_order([portal, database])


def test_a_service_waits_for_the_services_it_needs_even_of_a_lower_tier():
    services = [
        service("portal", 1, "register"),
        service("register", 2, "db1"),
        service("website", 3),
        service("loket", 1),
    ]
    # The register (tier 2) comes back because the portal needs it; the website does not.
    # Once the register is back, the portal is ready beside the loket and comes first: it is
    # first on the card.
    assert names(restore_order(services)) == ["host:db1", "service:register", "service:portal", "service:loket"]


def test_a_chain_of_three_comes_back_from_its_end():
    services = [service("a", 1, "b"), service("b", 2, "c"), service("c", 3)]
    assert names(restore_order(services)) == ["service:c", "service:b", "service:a"]


def test_a_diamond_brings_the_shared_need_back_once_before_both():
    services = [
        service("top", 1, "left", "right"),
        service("left", 2, "base"),
        service("right", 2, "base", "db"),
        service("base", 2),
    ]
    assert names(restore_order(services)) == ["host:db", "service:base", "service:left", "service:right", "service:top"]


def test_hosts_come_in_the_order_the_card_first_names_them():
    services = [service("a", 1, "b", "h2"), service("b", 2, "h3", "h1"), service("c", 1, "h1")]
    assert names(restore_order(services))[:3] == ["host:h2", "host:h3", "host:h1"]


def test_ties_follow_the_card_not_the_order_of_depends_on():
    first = [service("top", 1, "y", "x"), service("x", 2), service("y", 2)]
    assert names(restore_order(first)) == ["service:x", "service:y", "service:top"]


@pytest.mark.parametrize("seed", range(20))
def test_every_service_comes_after_everything_it_needs_on_random_graphs(seed):
    generator = random.Random(seed)
    count = 12
    services = []
    for index in range(count):
        # Needs only of later services, so the graph has no cycle; a few hosts too.
        needs = generator.sample([f"s{other}" for other in range(index + 1, count)], k=min(3, count - index - 1))
        needs += generator.sample(["h1", "h2", "h3"], k=generator.randint(0, 2))
        services.append(service(f"s{index}", generator.choice([1, 1, 2, 3]), *needs))
    steps = restore_order(services, "log1")
    position = {step.name: rank for rank, step in enumerate(steps)}
    assert steps[0] == RestoreStep("host", "log1")
    assert len(position) == len(steps)
    by_name = {entry["name"]: entry for entry in services}
    for entry in services:
        if entry["tier"] == 1:
            assert entry["name"] in position
    for step in steps:
        if step.kind == "service":
            for need in by_name[step.name].get("depends_on", []):
                assert position[need] < position[step.name], (need, step.name)
    # Nothing comes back that no tier-1 service needs.
    needed = set()
    pending = [entry["name"] for entry in services if entry["tier"] == 1]
    while pending:
        name = pending.pop()
        if name not in needed:
            needed.add(name)
            pending += [need for need in by_name[name].get("depends_on", []) if need in by_name]
    assert {step.name for step in steps if step.kind == "service"} == needed
    # The same card, read again, gives the same order.
    assert restore_order(services, "log1") == steps


def test_a_cycle_is_refused_even_if_a_card_slipped_through():
    with pytest.raises(ValueError, match="a, b depend on each other in a cycle"):
        restore_order([service("a", 1, "b"), service("b", 2, "a")])
