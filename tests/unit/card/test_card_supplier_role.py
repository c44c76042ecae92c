"""A service's ``supplier_role``: a role of the collection with a valid contract, whose health
check stands in for the card's own; anything else is refused naming the card and the field."""

import shutil

import pytest
import yaml
from card_testdata import CARDS, FIXTURE_HOSTS, ROOT, inventory_names, load_against_fixtures

from landingzone.card import CardError, card_to_vars, load_card
from landingzone.fleet_inputs import inventory_shape


def _card_with_service(tmp_path, service: dict):
    data = yaml.safe_load((CARDS / "good" / "complete.yml").read_text())
    data["services"] = [
        {
            "name": "loket",
            "hosts": ["gem-app1"],
            "role": "appointments",
            "tier": 1,
            "rto_minutes": 240,
            "rpo_minutes": 60,
            **service,
        }
    ]
    path = tmp_path / "card.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


_load = load_against_fixtures


def test_a_supplier_role_replaces_the_health_check(tmp_path, control_ids, control_roles):
    card = _load(_card_with_service(tmp_path, {"supplier_role": "citizen_portal"}), control_ids)
    (service,) = card_to_vars(card, control_roles)["landingzone_services"]
    assert service["supplier_role"] == "citizen_portal" and "health_check" not in service


def test_a_supplier_role_and_a_health_check_may_both_be_given(tmp_path, control_ids):
    path = _card_with_service(tmp_path, {"supplier_role": "citizen_portal", "health_check": "tcp://gem-app1:443"})
    assert _load(path, control_ids)["services"][0]["health_check"] == "tcp://gem-app1:443"


def test_the_demo_card_drills_the_citizen_portal_first(control_ids):
    hosts, groups = inventory_names(ROOT / "inventories" / "demo" / "hosts.yml")
    card = load_card(
        ROOT / "inventories" / "demo" / "municipality.yml",
        inventory_hosts=hosts,
        inventory_groups=groups,
        known_control_ids=control_ids,
        vault_secret=None,
    )
    first = card["services"][0]
    assert (first["name"], first["supplier_role"], first["tier"]) == ("citizen-portal", "citizen_portal", 1)
    # Its check comes from the role's contract, never typed a second time on the card.
    assert "health_check" not in first


@pytest.mark.parametrize(
    ("role", "fragment"),
    [
        (
            "nonexistent",
            "'nonexistent' is not a role of the collection (roles with a supplier contract: citizen_portal",
        ),
        ("../roles/citizen_portal", "is not a role of the collection"),
        ("backup_agent", "role 'backup_agent' has no supplier contract (meta/landingzone.yml)"),
    ],
)
def test_a_role_that_is_no_supplier_role_is_refused(tmp_path, control_ids, role, fragment):
    path = _card_with_service(tmp_path, {"supplier_role": role})
    with pytest.raises(CardError) as caught:
        _load(path, control_ids)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}: services[0].supplier_role: ") and fragment in line
    assert caught.value.exit_code == 2


def test_a_role_whose_contract_is_broken_is_refused(tmp_path, control_ids):
    roles = tmp_path / "roles"
    shutil.copytree(ROOT / "roles" / "citizen_portal" / "meta", roles / "citizen_portal" / "meta")
    contract = roles / "citizen_portal" / "meta" / "landingzone.yml"
    contract.write_text(contract.read_text().replace("contract_version: 1", "contract_version: 7"))
    path = _card_with_service(tmp_path, {"supplier_role": "citizen_portal"})
    with pytest.raises(CardError) as caught:
        _load(path, control_ids, roles_dir=roles)
    assert f"{path}: services[0].supplier_role: the contract of role 'citizen_portal' is not valid: " in str(
        caught.value
    )
    assert "contract_version" in str(caught.value)


def test_a_supplier_role_must_be_text(tmp_path, control_ids):
    with pytest.raises(CardError) as caught:
        _load(_card_with_service(tmp_path, {"supplier_role": ["citizen_portal"]}), control_ids)
    (line,) = str(caught.value).splitlines()
    assert "services[0].supplier_role: must be text" in line


def test_the_services_hosts_must_carry_the_role(tmp_path, control_ids):
    """site.yml installs a supplier role on the group named after it: a service naming the role
    on a host outside that group describes something the landing zone never installs there."""
    path = _card_with_service(tmp_path, {"supplier_role": "citizen_portal", "hosts": ["gem-app1", "gem-app2"]})
    groups = {"citizen_portal": {"gem-app1"}, "all": set(FIXTURE_HOSTS)}
    with pytest.raises(CardError) as caught:
        _load(path, control_ids, group_hosts=groups)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}: services[0].supplier_role: 'gem-app2' is not in the inventory group")
    # With both hosts in the role's group the card loads.
    groups["citizen_portal"].add("gem-app2")
    assert _load(path, control_ids, group_hosts=groups)["services"][0]["hosts"] == ["gem-app1", "gem-app2"]


def test_the_demo_inventory_puts_the_portal_where_the_card_says(control_ids):
    """The demo's card against its inventory as Ansible reads it (ansible-inventory)."""
    hosts_file = ROOT / "inventories" / "demo" / "hosts.yml"
    hosts, groups = inventory_shape(hosts_file)
    card = load_card(
        ROOT / "inventories" / "demo" / "municipality.yml",
        inventory_hosts=set(hosts),
        inventory_groups=set(groups),
        group_hosts=groups,
        known_control_ids=control_ids,
        vault_secret=None,
    )
    assert card["services"][0]["hosts"] == ["demo-app1"] and "demo-app1" in groups["citizen_portal"]
