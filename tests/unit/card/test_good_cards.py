"""Cards that must load: the fixtures, the lab municipality, a vaulted card."""

import json

import yaml
from card_testdata import CARDS, FIXTURE_GROUPS, FIXTURE_HOSTS, ROOT, inventory_names

from landingzone.card import load_card, secret_values


def load_fixture(name, control_ids, vault_secret=None):
    return load_card(
        CARDS / "good" / name,
        inventory_hosts=FIXTURE_HOSTS,
        inventory_groups=FIXTURE_GROUPS,
        known_control_ids=control_ids,
        vault_secret=vault_secret,
    )


def test_complete_card_loads_as_plain_json_data(control_ids):
    card = load_fixture("complete.yml", control_ids)
    assert card["nis_code"] == "99002"
    # An unquoted YAML date stays the text the operator wrote; the schema checked its format.
    assert card["waivers"][0]["expires"] == "2027-01-31"
    assert json.loads(json.dumps(card)) == card


def test_demo_card_validates_against_the_demo_inventory(control_ids):
    hosts, groups = inventory_names(ROOT / "inventories" / "demo" / "hosts.yml")
    card = load_card(
        ROOT / "inventories" / "demo" / "municipality.yml",
        inventory_hosts=hosts,
        inventory_groups=groups,
        known_control_ids=control_ids,
        vault_secret=None,
    )
    assert (card["name"], card["nis_code"]) == ("demo", "99001")
    assert card["management_networks"] == ["10.231.10.0/24"]
    assert card["log_collector"] == {"host": "demo-log1", "port": 6514}
    assert card["suppliers"][0]["vpn"]["protocol"] == "wireguard"
    waiver = card["waivers"][0]
    assert waiver["approver"] and waiver["expires"] > "2026-11-28"


def test_vaulted_value_is_decrypted_and_reported_as_secret(control_ids, vault_secret):
    card = load_fixture("vaulted.yml", control_ids, vault_secret)
    assert card["contacts"][0]["email"] == "security@gemtest.invalid"
    assert secret_values(card) == ["security@gemtest.invalid"]


def test_plain_card_has_no_secret_values(control_ids):
    assert secret_values(load_fixture("complete.yml", control_ids)) == []


def test_waiver_may_name_all_hosts_as_one_word(tmp_path, control_ids):
    data = yaml.safe_load((CARDS / "good" / "complete.yml").read_text())
    data["waivers"][0]["hosts"] = "all"
    data["waivers"][0]["expires"] = "2027-01-31"
    path = tmp_path / "card.yml"
    path.write_text(yaml.safe_dump(data))
    card = load_card(path, inventory_hosts=FIXTURE_HOSTS, known_control_ids=control_ids, vault_secret=None)
    assert card["waivers"][0]["hosts"] == "all"


def test_waiver_host_pattern_must_match_an_inventory_host(tmp_path, control_ids):
    data = yaml.safe_load((CARDS / "good" / "complete.yml").read_text())
    data["waivers"][0]["hosts"] = ["gem-app*"]
    path = tmp_path / "card.yml"
    path.write_text(yaml.safe_dump(data))
    assert load_card(path, inventory_hosts=FIXTURE_HOSTS, known_control_ids=control_ids, vault_secret=None)
