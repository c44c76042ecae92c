"""A service's depends_on on a whole card: names checked against the card and the inventory,
cycles named in order, a backup server refused, and the CLI stopping before any host.

The single defects (an unknown name, cycles of one, two and three services, a duplicate, a
wrong type, the service's own host, a name that is host and service at once) are fixture cards
in tests/fixtures/cards/bad (test_bad_cards.py); hostile strings in the field are tried with
every other field in test_hostile_card_values.py.
"""

import copy
import time

import pytest
import yaml
from card_testdata import CARDS, FIXTURE_GROUPS, FIXTURE_HOSTS, run_cli

from landingzone import drill
from landingzone.card import CardError, load_card
from landingzone.card.dependencies import dependency_problems
from landingzone.runner import job

COMPLETE = yaml.safe_load((CARDS / "good" / "complete.yml").read_text())


def service(name, *, hosts=("gem-app1",), tier=1, depends_on=None):
    entry = {
        "name": name,
        "hosts": list(hosts),
        "role": name,
        "health_check": "tcp://gem-app1:443",
        "tier": tier,
        "rto_minutes": 240,
        "rpo_minutes": 60,
    }
    if depends_on is not None:
        entry["depends_on"] = depends_on
    return entry


def card_with_services(*services):
    card = copy.deepcopy(COMPLETE)
    card["services"] = list(services)
    return card


def load(tmp_path, card, control_ids, **kwargs):
    path = tmp_path / "gemtest" / "municipality.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(card, sort_keys=False))
    options = {"inventory_hosts": FIXTURE_HOSTS, "inventory_groups": FIXTURE_GROUPS, **kwargs}
    return path, lambda: load_card(path, known_control_ids=control_ids, vault_secret=None, **options)


def refused(tmp_path, card, control_ids, **kwargs) -> tuple[str, list[str]]:
    path, attempt = load(tmp_path, card, control_ids, **kwargs)
    with pytest.raises(CardError) as caught:
        attempt()
    assert caught.value.exit_code == 2
    return str(path), str(caught.value).splitlines()


def test_the_complete_card_names_a_host_it_depends_on(tmp_path, control_ids):
    _, attempt = load(tmp_path, COMPLETE, control_ids)
    assert attempt()["services"][0]["depends_on"] == ["gem-log1"]


def test_services_may_depend_on_services_and_hosts_of_any_tier(tmp_path, control_ids):
    card = card_with_services(
        service("burgerzaken", depends_on=["databank", "gem-log1"]),
        service("databank", hosts=["gem-app2"], tier=2, depends_on=["gem-log1"]),
        service("website", hosts=["gem-app2"], tier=3, depends_on=[]),
    )
    _, attempt = load(tmp_path, card, control_ids)
    assert [entry.get("depends_on") for entry in attempt()["services"]] == [["databank", "gem-log1"], ["gem-log1"], []]


def test_each_cycle_is_named_once_in_order_from_the_service_first_on_the_card(tmp_path, control_ids):
    card = card_with_services(
        service("a", depends_on=["b"]),
        service("b", depends_on=["c"]),
        service("c", depends_on=["a", "d"]),
        service("d", depends_on=["e"]),
        service("e", depends_on=["d"]),
    )
    path, lines = refused(tmp_path, card, control_ids)
    cycles = [line for line in lines if "makes a cycle" in line]
    assert len(cycles) == len(lines) == 2, lines
    assert cycles[0].startswith(f"{path}: services[0].depends_on[0]: makes a cycle: a -> b -> c -> a;")
    assert cycles[1].startswith(f"{path}: services[3].depends_on[0]: makes a cycle: d -> e -> d;")
    # The line of the card where the entry is written, as for every other problem.
    assert cycles[0].endswith(")") and "(line " in cycles[0]


def test_a_cycle_reached_from_outside_is_named_from_its_own_first_service(tmp_path, control_ids):
    card = card_with_services(
        service("portal", depends_on=["loket"]),
        service("register", hosts=["gem-app2"], depends_on=["loket"]),
        service("loket", depends_on=["register"]),
    )
    path, lines = refused(tmp_path, card, control_ids)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: services[1].depends_on[0]: makes a cycle: register -> loket -> register; ")


def test_a_long_cycle_is_found_without_running_out_of_stack(tmp_path, control_ids):
    # More services than Python's recursion limit: the walk must not recurse.
    count = 3000
    services = [
        {"name": f"s{index}", "depends_on": [f"s{(index + 1) % count}"], "hosts": ["gem-app1"]}
        for index in range(count)
    ]
    started = time.perf_counter()
    problems = dependency_problems({"services": services}, FIXTURE_HOSTS)
    assert time.perf_counter() - started < 5
    ((where, message),) = problems
    assert where == ("services", 0, "depends_on", 0)
    assert message.startswith("makes a cycle: s0 -> s1 -> s2 -> ")
    assert f"-> s{count - 1} -> s0;" in message


def test_a_backup_server_is_no_dependency_when_the_groups_are_known(tmp_path, control_ids):
    card = card_with_services(service("burgerzaken", depends_on=["gem-log1", "gem-vpn1"]))
    groups = {"all": set(FIXTURE_HOSTS), "backup_servers": {"gem-vpn1"}}
    path, lines = refused(tmp_path, card, control_ids, group_hosts=groups)
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        f"{path}: services[0].depends_on[1]: 'gem-vpn1' is a backup server (inventory group backup_servers)"
    )


def test_an_unknown_name_lists_only_the_well_formed_service_names(tmp_path, control_ids):
    hostile = "x" * 5000 + "\n"
    card = card_with_services(service("burgerzaken", depends_on=["gem-db1"]), service(hostile, hosts=["gem-app2"]))
    path, lines = refused(tmp_path, card, control_ids)
    unknown = [line for line in lines if line.startswith(f"{path}: services[0].depends_on[0]: ")]
    assert len(unknown) == 1
    expected = "service 'burgerzaken' depends on 'gem-db1', which is neither a service of this card (burgerzaken)"
    assert expected in unknown[0]
    assert " nor a host of the inventory (line " in unknown[0]
    assert all(len(line) < 400 for line in lines)


def test_problems_of_other_fields_do_not_hide_or_repeat_these(tmp_path, control_ids):
    # A service without hosts and with a tier out of range still has its needs checked, once.
    broken = service("burgerzaken", depends_on=["gem-db1"])
    del broken["hosts"]
    broken["tier"] = 9
    path, lines = refused(tmp_path, card_with_services(broken), control_ids)
    fields = sorted(line.split(": ")[1] for line in lines)
    assert fields == ["services[0].depends_on[0]", "services[0].hosts", "services[0].tier"], lines


def test_validate_prints_nothing_new_for_the_demo_card(demo_fleet, capsys):
    code, out, err = run_cli(demo_fleet, capsys, "validate", "demo")
    assert (code, out, err) == (0, "demo (99001): valid, 7 hosts\n", "")


@pytest.mark.parametrize("command", [["validate", "demo"], ["drill", "demo"], ["apply", "demo"]])
def test_a_cycle_on_the_demo_card_stops_every_command_before_any_host(demo_fleet, capsys, monkeypatch, command):
    monkeypatch.setattr(job, "Runner", lambda *a, **k: pytest.fail("a runner job started"))
    monkeypatch.setattr(drill, "drill_target", lambda *a, **k: pytest.fail("a drill host was started"))
    card = demo_fleet / "demo" / "municipality.yml"
    text = card.read_text()
    # The log collector's host stays; the register now needs the portal, which needs the register.
    text = text.replace(
        "    supplier_role: citizen_portal\n    tier: 1\n    rto_minutes: 240\n    rpo_minutes: 60\n"
        "    depends_on: [demo-log1]\n",
        "    supplier_role: citizen_portal\n    tier: 1\n    rto_minutes: 240\n    rpo_minutes: 60\n"
        "    depends_on: [demo-log1, bevolkingsregister]\n",
    )
    text = text.replace(
        "    health_check: manifest:///srv/bevolkingsregister\n    tier: 1\n    rto_minutes: 240\n"
        "    rpo_minutes: 60\n    depends_on: [demo-log1]\n",
        "    health_check: manifest:///srv/bevolkingsregister\n    tier: 1\n    rto_minutes: 240\n"
        "    rpo_minutes: 60\n    depends_on: [citizen-portal, demo-log1, demo-backup1]\n",
    )
    card.write_text(text)
    code, out, err = run_cli(demo_fleet, capsys, *command)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert any(
        f"{card}: services[0].depends_on[1]: makes a cycle: citizen-portal -> bevolkingsregister -> citizen-portal;"
        in line
        for line in lines
    ), err
    # The CLI knows the inventory's groups: the backup server is refused by name too.
    assert any(f"{card}: services[1].depends_on[2]: 'demo-backup1' is a backup server" in line for line in lines), err
    assert not (demo_fleet / ".landingzone" / "runs").exists()


@pytest.mark.parametrize(
    "value",
    [["{{ lookup('pipe', 'id') }}"], {"$(id)": 1}, ["gem-log1", None], [["gem-log1"]], "gem-log1\n"],
    ids=["template", "mapping with shell syntax", "null entry", "nested list", "text with a newline"],
)
def test_a_malformed_depends_on_is_refused_naming_the_field_only(tmp_path, control_ids, value):
    card = card_with_services(service("burgerzaken", depends_on=value))
    path, lines = refused(tmp_path, card, control_ids)
    assert lines and all(line.startswith(f"{path}: services[0].depends_on") for line in lines), lines
