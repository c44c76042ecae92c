"""`landingzone workplace up|down|status`: bad input stops it before any job, naming the file and the
field; what a host says of itself is read strictly; the state script runs for real on this machine."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from landingzone import cli
from landingzone.runner import job
from landingzone.workplace_command import changed_by_host
from landingzone.workplace_state import host_states, parse_state, workplace_is_up

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "inventories" / "demo"
PASSWORD_FILE = ROOT / "lab" / "demo-vault-password"
STATE_SCRIPT = ROOT / "playbooks" / "files" / "workplace_state.sh"
DESK_UNITS = ("xrdp.service", "xrdp-sesman.service")


@pytest.fixture
def fleet(tmp_path, monkeypatch):
    """A copy of the demo, whose card and inventory have a workplace; no runner job may start."""
    shutil.copytree(DEMO, tmp_path / "demo")
    monkeypatch.setattr(job, "Runner", lambda *a, **k: pytest.fail("a runner job started"))
    return tmp_path


def _edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _workplace(fleet: Path, capsys, action: str = "up") -> tuple[int, str]:
    code = cli.main(["--fleet", str(fleet), "--vault-password-file", str(PASSWORD_FILE), "workplace", action, "demo"])
    error = capsys.readouterr().err
    # No job started: a run would have made its private data directory here.
    assert not (fleet / ".landingzone" / "runs").exists()
    return code, error


def _card(fleet: Path, change) -> None:
    _edit_yaml(fleet / "demo" / "municipality.yml", change)


def _hosts(fleet: Path, change) -> None:
    _edit_yaml(fleet / "demo" / "hosts.yml", lambda data: change(data["all"]["children"]))


def test_a_roster_with_an_unknown_service_is_refused_naming_the_field(fleet, capsys):
    _card(fleet, lambda card: card["workplace"]["roster"][0].update(services=["webmail"]))
    code, error = _workplace(fleet, capsys)
    assert code == 2
    assert f"{fleet / 'demo' / 'municipality.yml'}" in error
    assert "workplace.roster[0].services[0]: 'webmail' is not a service of this card" in error


def test_a_desk_count_of_zero_is_refused_naming_the_field(fleet, capsys):
    _card(fleet, lambda card: card["workplace"].update(desks=0))
    code, error = _workplace(fleet, capsys)
    assert code == 2 and "workplace.desks: must be at least 1; got 0" in error


def test_a_class4_role_with_redirection_on_is_refused_naming_the_field(fleet, capsys):
    def class4_with_clipboard(card):
        card["data_classification"] = 4
        card["workplace"]["data_classification"] = 4
        card["workplace"]["roles"][1].update(class4_data=True, clipboard=True)

    _card(fleet, class4_with_clipboard)
    code, error = _workplace(fleet, capsys)
    assert code == 2
    assert "workplace.roles[1].clipboard: is on for role 'onthaal', which handles class-4 data" in error


def test_a_card_without_a_workplace_is_refused(fleet, capsys):
    _card(fleet, lambda card: card.pop("workplace"))
    code, error = _workplace(fleet, capsys, "status")
    assert code == 2 and "municipality.yml: workplace: the card has no workplace section" in error


def test_an_inventory_with_more_desks_than_the_card_is_refused_naming_the_group(fleet, capsys):
    def second_desk(groups):
        groups["workplace_desks"]["hosts"]["demo-desk2"] = {
            "lab_address": "10.231.10.63",
            "lab_image": "localhost/landingzone-desk:bookworm",
            "workplace_address": "10.231.10.63",
        }

    _hosts(fleet, second_desk)
    code, error = _workplace(fleet, capsys, "down")
    assert code == 2
    assert f"{fleet / 'demo' / 'hosts.yml'}: workplace_desks: the group has 2 host(s), but the card's" in error
    assert "workplace.desks is 1" in error


def test_a_workplace_without_its_gateway_is_refused(fleet, capsys):
    _hosts(fleet, lambda groups: groups.pop("workplace_gateways"))
    code, error = _workplace(fleet, capsys)
    assert code == 2 and "hosts.yml: workplace_gateways: the desks are reached through one gateway" in error


@pytest.mark.parametrize("address", ["10.0.0.1; reboot", "$(id)", "", "desk.example", "10.0.0.256"])
def test_a_workplace_address_that_is_no_address_is_refused_naming_host_and_field(fleet, capsys, address):
    _hosts(fleet, lambda groups: groups["workplace_desks"]["hosts"]["demo-desk1"].update(workplace_address=address))
    code, error = _workplace(fleet, capsys)
    assert code == 2 and f"hosts.yml: demo-desk1.workplace_address: {address!r} is not an IP address" in error


def test_the_state_is_read_strictly_and_a_lying_host_adds_nothing():
    today = 20_000
    text = "\n".join(
        [
            "service xrdp.service active",
            "service xrdp-sesman.service \x1b[31mactive",  # not a state: unknown
            "service sshd.service active",  # not a unit status asks about
            "session lmertens",
            "session lmertens",
            "session \x1b]0;owned\x07",
            "account lmertens open -",
            "account svermeulen open 19999",  # expired yesterday
            "account kdewilde locked 1",
            "account root open - extra",
            "account 'quoted' open -",
        ]
    )
    services, sessions, accounts = parse_state(text, DESK_UNITS, today)
    assert services == {"xrdp.service": "active", "xrdp-sesman.service": "unknown"}
    assert sessions == ["lmertens"]
    assert accounts == {"lmertens": "open", "svermeulen": "expired", "kdewilde": "locked"}


def _state_event(host: str, stdout: str) -> dict:
    data = {"host": host, "task": "Read the workplace state", "res": {"stdout": stdout}}
    return {"event": "runner_on_ok", "event_data": data}


def test_the_workplace_is_up_only_when_every_unit_is_active_and_every_account_open():
    desk_up = "service xrdp.service active\nservice xrdp-sesman.service active\naccount lmertens open -\n"
    events = [_state_event("desk1", desk_up), _state_event("gw1", "service haproxy.service active\n")]
    reached = {"desk1": {"reachable": True}, "gw1": {"reachable": True}}
    rows = host_states(events, reached, ["desk1"], "gw1", ["lmertens", "svermeulen"])
    assert rows[0]["accounts"] == {"lmertens": "open", "svermeulen": "absent"}
    assert not workplace_is_up(rows), "an absent account counted as up"
    events[0] = _state_event("desk1", desk_up + "account svermeulen open -\n")
    assert workplace_is_up(host_states(events, reached, ["desk1"], "gw1", ["lmertens", "svermeulen"]))
    events[1] = _state_event("gw1", "service haproxy.service inactive\n")
    assert not workplace_is_up(host_states(events, reached, ["desk1"], "gw1", ["lmertens", "svermeulen"]))
    rows = host_states(events[:1], {**reached, "gw1": {"reachable": False}}, ["desk1"], "gw1", ["lmertens"])
    assert rows[1] == {
        "host": "gw1",
        "kind": "gateway",
        "reachable": False,
        "services": {"haproxy.service": "unknown"},
        "sessions": [],
    }


def test_changes_are_counted_per_host_from_the_closing_stats():
    stats = {"event": "playbook_on_stats", "event_data": {"processed": {"a": 1, "b": 1}, "changed": {"b": 4}}}
    assert changed_by_host([{"event": "runner_on_ok"}, stats]) == {"a": 0, "b": 4}
    assert changed_by_host([]) == {}


@pytest.mark.skipif(not Path("/etc/shadow").exists(), reason="needs /etc/shadow")
def test_the_state_script_reads_this_machine_without_its_hashes():
    shadow = Path("/etc/shadow").read_text(encoding="utf-8")
    result = subprocess.run(["sh", str(STATE_SCRIPT), "desk"], capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("service xrdp.service ")
    names = [line.split(":", 1)[0] for line in shadow.splitlines() if line]
    assert [line.split()[1] for line in lines if line.startswith("account ")] == names
    hashes = [line.split(":")[1] for line in shadow.splitlines() if line.count(":") > 1 and len(line.split(":")[1]) > 2]
    assert not any(digest in result.stdout for digest in hashes)
    services, _, accounts = parse_state(result.stdout, DESK_UNITS, 0)
    assert set(accounts) == set(names)
    refused = subprocess.run(["sh", str(STATE_SCRIPT), "laptop"], capture_output=True, text=True, check=False)
    assert refused.returncode == 2 and not refused.stdout
