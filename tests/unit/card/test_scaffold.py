"""new_municipality: a card that validates at once, and never an overwrite."""

import pytest
from card_testdata import ROOT, inventory_names

from landingzone.card import CardError, card_to_vars, catalog_roles, load_card, new_municipality


def test_scaffolded_card_validates(tmp_path, control_ids):
    directory = new_municipality(tmp_path, "heist-op-den-berg", "12014")
    assert directory == tmp_path / "heist-op-den-berg"
    hosts, groups = inventory_names(directory / "hosts.yml")
    assert hosts == set() and {"app_servers", "vpn_gateways", "backup_servers", "log_collectors"} <= groups
    card = load_card(
        directory / "municipality.yml",
        inventory_hosts=hosts,
        inventory_groups=groups,
        known_control_ids=control_ids,
        vault_secret=None,
    )
    assert (card["name"], card["nis_code"]) == ("heist-op-den-berg", "12014")
    assert card_to_vars(card, catalog_roles(ROOT))["linux_baseline_waivers"] == []


def test_the_scaffolds_workplace_validates_once_uncommented_beside_its_service(tmp_path, control_ids):
    directory = new_municipality(tmp_path, "gemtest", "99002")
    card_path = directory / "municipality.yml"
    text = card_path.read_text()
    block = text[text.index("# workplace:") :]
    assert block.count("\n# ") == block.count("\n") - 1  # the block ends the file, every line commented
    service = (
        "services:\n  - {name: burgerzaken, hosts: [gem-app1], role: civil status, health_check: 'tcp://gem-app1:443',\n"
        "     tier: 1, rto_minutes: 240, rpo_minutes: 60}\n"
    )
    text = text.replace("services: []\n", service).replace(block, "\n".join(line[2:] for line in block.splitlines()))
    card_path.write_text(text)
    card = load_card(
        card_path,
        inventory_hosts={"gem-app1"},
        inventory_groups={"all"},
        known_control_ids=control_ids,
        vault_secret=None,
    )
    variables = card_to_vars(card, catalog_roles(ROOT))
    assert (variables["workplace_desks"], variables["workplace_roster"][0]["name"]) == (1, "jdevos")


def test_existing_municipality_is_never_overwritten(tmp_path):
    directory = new_municipality(tmp_path, "gemtest", "99002")
    (directory / "hosts.yml").write_text("edited by the operator\n")
    with pytest.raises(CardError, match="exists already"):
        new_municipality(tmp_path, "gemtest", "99002")
    assert (directory / "hosts.yml").read_text() == "edited by the operator\n"


@pytest.mark.parametrize(
    ("name", "nis", "field"),
    [("Gem Test", "99002", "name"), ("gemtest", "9900", "nis_code"), ("gemtest", "ABCDE", "nis_code")],
)
def test_bad_name_or_nis_code_is_refused_before_anything_is_written(tmp_path, name, nis, field):
    with pytest.raises(CardError, match=f"municipality.yml: {field}: "):
        new_municipality(tmp_path, name, nis)
    assert list(tmp_path.iterdir()) == []
