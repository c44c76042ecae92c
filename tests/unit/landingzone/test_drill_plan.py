"""`drill M --all` decided before any host starts: which hosts are rebuilt, in which order, which
services come back on each, the variables the run gets, and a missing dependency named by file and
field."""

import shutil
from pathlib import Path

import pytest
import yaml
from drill_order_card import SERVICES as ORDER_CARD_SERVICES
from drill_order_card import write_fleet

from landingzone.card.variables import card_to_vars
from landingzone.cli import main
from landingzone.drill import drill_variables
from landingzone.drill_plan import PlanStep, plan_all, plan_variables, rebuilt_name
from landingzone.drill_summary import split_records, summary_lines
from landingzone.errors import LandingzoneError

ROOT = Path(__file__).resolve().parents[3]
CARD = Path("inventories/gent/municipality.yml")
HOSTS = Path("inventories/gent/hosts.yml")
LAB = ["gent-app1", "gent-app2", "gent-db1", "gent-log1", "gent-backup1"]
COLLECTOR = {"host": "gent-log1", "port": 6514}


def service(name, host, tier=1, *needs):
    entry = {"name": name, "hosts": [host], "tier": tier, "rto_minutes": 240}
    if needs:
        entry["depends_on"] = list(needs)
    return entry


def plan(services, lab=LAB, collector=COLLECTOR, groups=None):
    variables = {"landingzone_services": services, "linux_baseline_log_collector": collector}
    return plan_all("gent", variables, lab, CARD, HOSTS, groups)


def demo_plan(card: dict):
    groups = yaml.safe_load((ROOT / "inventories" / "demo" / "hosts.yml").read_text())["all"]["children"]
    hosts = list(dict.fromkeys(host for group in groups.values() for host in group["hosts"]))
    inventory_groups = {name: list(group["hosts"]) for name, group in groups.items()}
    return plan_all("demo", card_to_vars(card, {"LZ-UPD-003": "linux_baseline"}), hosts, CARD, HOSTS, inventory_groups)


def out_of_order(sequence: list[str], services: list[dict]) -> list[tuple[str, str]]:
    """(service, the service it needs) wherever the service comes first, or its need never does."""
    by_name = {entry["name"]: entry for entry in services}
    first = {name: sequence.index(name) for name in sequence}
    return [
        (name, need)
        for name in sequence
        for need in by_name[name].get("depends_on", [])
        if need in by_name and first.get(need, len(sequence)) > first[name]
    ]


def test_the_demo_card_rebuilds_its_collector_then_one_app_host_with_both_tier_1_services():
    card = yaml.safe_load((ROOT / "inventories" / "demo" / "municipality.yml").read_text())
    groups = yaml.safe_load((ROOT / "inventories" / "demo" / "hosts.yml").read_text())["all"]["children"]
    hosts = list(dict.fromkeys(host for group in groups.values() for host in group["hosts"]))
    drill = plan_all("demo", card_to_vars(card, {"LZ-UPD-003": "linux_baseline"}), hosts, CARD, HOSTS)
    assert [(host.name, host.source_host, host.log_collector) for host in drill.hosts] == [
        ("demo-drill-log1", "demo-log1", True),
        ("demo-drill-app1", "demo-app1", False),
    ]
    # Rebuilt once, both services restored onto it, in card order; the tier-2 website stays out.
    assert [service["name"] for service in drill.hosts[1].services] == ["citizen-portal", "bevolkingsregister"]
    assert drill.hosts[0].services == []
    assert drill.log_collector is drill.hosts[0]


def test_the_steps_run_across_hosts_where_the_old_host_by_host_order_would_fail():
    """The order card: the collector's host carries a service that needs the portal, on a host
    rebuilt later. Host after host, as the restore ran before, it would come first and fail."""
    drill = demo_plan({**yaml.safe_load((ROOT / "inventories" / "demo" / "municipality.yml").read_text()),
                       "services": ORDER_CARD_SERVICES})  # fmt: skip
    assert [host.source_host for host in drill.hosts] == ["demo-log1", "demo-app2", "demo-app1"]
    assert [(step.service["name"], step.hosts) for step in drill.steps] == [
        ("bevolkingsregister", ["demo-drill-app1", "demo-drill-log1"]),
        ("website", ["demo-drill-app2"]),
        ("citizen-portal", ["demo-drill-app1"]),
        ("meldingen", ["demo-drill-log1"]),
    ]
    host_by_host = [service["name"] for host in drill.hosts for service in host.services]
    assert out_of_order(host_by_host, ORDER_CARD_SERVICES) == [("meldingen", "citizen-portal")]
    assert out_of_order([step.service["name"] for step in drill.steps], ORDER_CARD_SERVICES) == []


def test_the_order_card_is_a_valid_card(tmp_path, capsys):
    write_fleet(ROOT / "inventories" / "demo", tmp_path)
    password = str(ROOT / "lab" / "demo-vault-password")
    code = main(["--fleet", str(tmp_path), "--vault-password-file", password, "validate", "demo"])
    assert code == 0, capsys.readouterr()


def test_a_service_on_several_hosts_is_one_step_on_each_of_their_rebuilt_hosts():
    register = {**service("register", "gent-app1"), "hosts": ["gent-app1", "gent-db1"]}
    drill = plan([register])
    assert drill.steps == [PlanStep(register, ["gent-drill-app1", "gent-drill-db1"])]
    # Each rebuilt host restores it from the backup of the host it stands in for.
    assert [(host.source_host, [s["name"] for s in host.services]) for host in drill.hosts] == [
        ("gent-log1", []),
        ("gent-app1", ["register"]),
        ("gent-db1", ["register"]),
    ]
    variables = plan_variables(drill, dict.fromkeys([h.name for h in drill.hosts], "10.9.0.9"), COLLECTOR, 1.0, 2.0, {})
    assert variables["landingzone_drill"]["steps"] == [
        {"service": register, "hosts": ["gent-drill-app1", "gent-drill-db1"]}
    ]


def test_a_host_needed_only_through_depends_on_comes_back_with_the_services_it_runs():
    drill = plan([service("portal", "gent-app1", 1, "gent-db1"), service("database", "gent-db1", 3)])
    assert [(host.source_host, [s["name"] for s in host.services]) for host in drill.hosts] == [
        ("gent-log1", []),
        ("gent-db1", ["database"]),
        ("gent-app1", ["portal"]),
    ]
    assert [step.service["name"] for step in drill.steps] == ["database", "portal"]


def test_a_second_host_of_a_multi_host_service_missing_from_the_lab_is_named_with_its_field():
    register = {**service("register", "gent-app1"), "hosts": ["gent-app1", "gent-app7"]}
    with pytest.raises(LandingzoneError, match=r"municipality.yml: services\[0\].hosts\[1\]: 'gent-app7' is not"):
        plan([register])


@pytest.mark.parametrize(
    ("group", "why"),
    [
        ("vpn_gateways", "a VPN gateway: suppliers' tunnels come back after the services"),
        ("log_collectors", "a log collector other than the card's (log_collector.host)"),
    ],
)
def test_a_needed_host_whose_role_the_drill_cannot_bring_back_is_named_with_why(group, why):
    groups = {group: ["gent-db1"]}
    with pytest.raises(LandingzoneError) as error:
        plan([service("portal", "gent-app1", 1, "gent-db1")], groups=groups)
    where = "inventories/gent/municipality.yml: services[0].depends_on[0]"
    assert str(error.value).startswith(f"{where}: 'gent-db1' is {why}")
    assert str(error.value).endswith("the drill cannot bring back what it runs")


def test_a_host_dependency_is_rebuilt_after_the_collector_and_before_the_services_hosts():
    drill = plan([service("portal", "gent-app1", 1, "gent-db1", "gent-log1"), service("site", "gent-app2", 2)])
    assert [host.source_host for host in drill.hosts] == ["gent-log1", "gent-db1", "gent-app1"]
    assert [host.services for host in drill.hosts[:2]] == [[], []]


def test_a_lower_tier_service_a_tier_1_one_needs_comes_back_first_on_its_own_host():
    register = service("register", "gent-app1", 1, "archive")
    archive = service("archive", "gent-app2", 3)
    drill = plan([register, archive, service("site", "gent-app2", 2)])
    assert [(host.source_host, [s["name"] for s in host.services]) for host in drill.hosts] == [
        ("gent-log1", []),
        ("gent-app2", ["archive"]),
        ("gent-app1", ["register"]),
    ]


def test_a_service_on_the_collectors_host_comes_back_there_without_a_second_host():
    drill = plan([service("syslog-viewer", "gent-log1")])
    assert [(host.source_host, host.log_collector) for host in drill.hosts] == [("gent-log1", True)]
    assert [s["name"] for s in drill.hosts[0].services] == ["syslog-viewer"]


def test_every_rebuilt_host_forwards_its_logs_to_the_rebuilt_collector_and_the_clock_is_shared():
    drill = plan([service("portal", "gent-app1", 1, "gent-log1")])
    addresses = {"gent-drill-log1": "10.9.0.254", "gent-drill-app1": "10.9.0.253"}
    variables = plan_variables(drill, addresses, COLLECTOR, 1700000000.5, 1700000012.0, {"kind": "backup_server"})
    assert variables["linux_baseline_log_collector"] == {"host": "gent-drill-log1", "port": 6514}
    run = variables["landingzone_drill"]
    assert run["started_epoch"] == 1700000000.5 and run["hosts_ready_epoch"] == 1700000012.0
    assert run["whole_set"] is True and run["source"] == {"kind": "backup_server"}
    assert run["log_collector"] == {"name": "gent-drill-log1", "address": "10.9.0.254", "source_host": "gent-log1"}
    assert run["targets"] == [
        {
            "name": "gent-drill-log1",
            "address": "10.9.0.254",
            "source_host": "gent-log1",
            "log_collector": True,
            "services": [],
        },
        {
            "name": "gent-drill-app1",
            "address": "10.9.0.253",
            "source_host": "gent-app1",
            "log_collector": False,
            "services": [service("portal", "gent-app1", 1, "gent-log1")],
        },
    ]


def test_a_drill_of_one_service_rebuilds_no_collector_and_keeps_the_cards_forwarding():
    variables = drill_variables(service("site", "gent-app2", 2), "gent-drill-site", "10.9.0.254", 1.5)
    assert "linux_baseline_log_collector" not in variables
    run = variables["landingzone_drill"]
    assert "log_collector" not in run and "whole_set" not in run and run["source"] == {"kind": "backup_server"}
    assert run["steps"] == [{"service": service("site", "gent-app2", 2), "hosts": ["gent-drill-site"]}]
    assert run["targets"] == [
        {
            "name": "gent-drill-site",
            "address": "10.9.0.254",
            "source_host": "gent-app2",
            "log_collector": False,
            "services": [service("site", "gent-app2", 2)],
        },
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [("gent-app1", "gent-drill-app1"), ("app1.gent.be", "gent-drill-app1-gent-be"), ("gentapp", "gent-drill-gentapp")],
)
def test_a_rebuilt_host_is_named_after_the_host_it_stands_in_for(source, expected):
    assert rebuilt_name("gent", source) == expected


def test_a_host_dependency_missing_from_the_lab_is_named_with_the_card_field():
    services = [service("site", "gent-app2", 2), service("portal", "gent-app1", 1, "gent-log1", "gent-mq1")]
    with pytest.raises(LandingzoneError) as error:
        plan(services)
    assert str(error.value) == (
        "inventories/gent/municipality.yml: services[1].depends_on[1]: 'gent-mq1' is not a host of the lab gent "
        "(inventories/gent/hosts.yml); the drill cannot rebuild what the card needs"
    )


def test_a_services_host_missing_from_the_lab_is_named_with_the_card_field():
    with pytest.raises(LandingzoneError, match=r"municipality.yml: services\[0\].hosts\[0\]: 'gent-app9' is not"):
        plan([service("portal", "gent-app9")])


def test_a_log_collector_missing_from_the_lab_is_named_with_the_card_field():
    collector = {"host": "syslog.provider.example", "port": 6514}
    with pytest.raises(LandingzoneError, match=r"municipality.yml: log_collector.host: 'syslog.provider.example'"):
        plan([service("portal", "gent-app1")], collector=collector)


def test_a_card_without_tier_1_services_has_nothing_to_bring_back():
    with pytest.raises(LandingzoneError, match=r"municipality.yml: services: the card names no tier-1 service"):
        plan([service("site", "gent-app2", 2)])


def test_a_cycle_that_slipped_past_the_card_check_is_a_clear_error():
    with pytest.raises(LandingzoneError, match=r"municipality.yml: services: .*a, b depend on each other in a cycle"):
        plan([service("a", "gent-app1", 1, "b"), service("b", "gent-app2", 1, "a")])


def test_the_cli_names_a_missing_dependency_before_any_host_starts(tmp_path, capsys, monkeypatch):
    """`drill demo --all` on a copy of the demo whose card sends its logs to a collector outside the
    lab: exit 2, the card's file and field named, and no container asked for."""
    fleet = tmp_path / "fleet"
    shutil.copytree(ROOT / "inventories" / "demo", fleet / "demo")
    card_path = fleet / "demo" / "municipality.yml"
    card_path.write_text(card_path.read_text().replace("host: demo-log1", "host: syslog.provider.example"))
    monkeypatch.setattr("landingzone.lab.drill_target.Podman", None)  # any container asked for would fail loudly
    code = main(
        [
            "--fleet",
            str(fleet),
            "--vault-password-file",
            str(ROOT / "lab" / "demo-vault-password"),
            "drill",
            "demo",
            "--all",
        ]
    )
    assert code == 2
    assert (
        f"{card_path}: log_collector.host: 'syslog.provider.example' is not a host of the lab demo "
        f"({fleet / 'demo' / 'hosts.yml'})" in capsys.readouterr().err
    )


def test_the_cli_says_why_a_needed_vpn_gateway_cannot_come_back_before_any_host_starts(tmp_path, capsys, monkeypatch):
    """A copy of the demo whose portal needs demo-vpn1: the drill would rebuild an empty host where
    a gateway was needed; it stops instead, with the field and the reason (exit 2)."""
    fleet = tmp_path / "fleet"
    shutil.copytree(ROOT / "inventories" / "demo", fleet / "demo")
    card_path = fleet / "demo" / "municipality.yml"
    card_path.write_text(
        card_path.read_text().replace("depends_on: [demo-log1]", "depends_on: [demo-log1, demo-vpn1]", 1)
    )
    monkeypatch.setattr("landingzone.lab.drill_target.Podman", None)  # any container asked for would fail loudly
    password = str(ROOT / "lab" / "demo-vault-password")
    code = main(["--fleet", str(fleet), "--vault-password-file", password, "drill", "demo", "--all"])
    assert code == 2
    assert (
        f"{card_path}: services[0].depends_on[1]: 'demo-vpn1' is a VPN gateway: suppliers' tunnels come back after "
        "the services, with `apply`, not in a drill; the drill cannot bring back what it runs"
    ) in capsys.readouterr().err


def test_all_and_service_are_one_choice(capsys):
    with pytest.raises(SystemExit):
        main(["drill", "demo", "--all", "--service", "website"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_cli_reads_the_rebuilt_hosts_each_service_against_its_rto_and_the_whole_set():
    records = [
        {"rebuilt": "demo-drill-log1", "stands_in_for": "demo-log1", "role": "log collector", "status": "pass",
         "ready_seconds": 80.2, "logs_to": None, "error": None},
        {"rebuilt": "demo-drill-app1", "stands_in_for": "demo-app1", "role": "host of citizen-portal, register",
         "status": "pass", "ready_seconds": 150.0, "logs_to": "demo-drill-log1 (10.231.10.254)", "error": None},
        {"service": "citizen-portal", "status": "pass", "achieved_seconds": 260.5, "rto_minutes": 240, "rto_met": True},
        {"service": "register", "status": "fail", "achieved_seconds": 300.0, "rto_minutes": 240, "rto_met": False},
        {"set": "tier-1 services", "status": "fail", "achieved_seconds": None, "rto_met": False},
    ]  # fmt: skip
    services, rebuilt, whole_set = split_records(records)
    assert [r["service"] for r in services] == ["citizen-portal", "register"]
    assert [r["rebuilt"] for r in rebuilt] == ["demo-drill-log1", "demo-drill-app1"]
    assert whole_set is records[-1]
    lines = summary_lines("demo", ["citizen-portal", "register", "archive"], records)
    assert lines[0] == "drill demo: 3 services"
    assert lines[1] == "  rebuilt demo-drill-log1 for demo-log1 (log collector): pass, ready after 80.2 s"
    assert lines[2].endswith("ready after 150.0 s, logs to demo-drill-log1 (10.231.10.254)")
    assert "260.5 s of an RTO of 240 min  (met: yes)" in lines[3] and "(met: NO)" in lines[4]
    assert lines[5] == "  not reached: archive"
    assert lines[6] == "  the whole set: fail, None s to its last service  (every RTO met: NO)"


def test_all_from_offsite_checks_its_source_before_any_host_starts(tmp_path, capsys, monkeypatch):
    """`drill demo --all --from-offsite --as-of` a time to come: the whole set's plan and its source are
    decided together, and the source's error stops the drill before any container is asked for."""
    fleet = tmp_path / "fleet"
    shutil.copytree(ROOT / "inventories" / "demo", fleet / "demo")
    monkeypatch.setattr("landingzone.lab.drill_target.Podman", None)  # any container asked for would fail loudly
    password = str(ROOT / "lab" / "demo-vault-password")
    code = main(
        ["--fleet", str(fleet), "--vault-password-file", password, "drill", "demo", "--all", "--from-offsite",
         "--as-of", "2999-01-01T00:00:00Z"]
    )  # fmt: skip
    assert code == 2
    assert "--as-of: '2999-01-01T00:00:00Z' is in the future" in capsys.readouterr().err
