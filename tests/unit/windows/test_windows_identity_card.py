"""The identity on the municipality card: one word for the municipality, or a default with an
identity per inventory group. Bad values are named with their field before any host is touched,
and the CLI hands the identity to the roles as landingzone_identity."""

from __future__ import annotations

import pytest
import yaml
from windows_testdata import ROOT

from landingzone.card import CardError, card_to_vars, catalog_roles, load_card

COMPLETE = ROOT / "tests" / "fixtures" / "cards" / "good" / "complete.yml"
HOSTS = {"gem-app1", "gem-app2", "gem-log1", "gem-vpn1", "gem-vpc-01", "gem-vpc-02"}
GROUP_HOSTS = {
    "all": set(HOSTS),
    "app_servers": {"gem-app1", "gem-app2"},
    "vpn_gateways": {"gem-vpn1"},
    "virtual_pcs": {"gem-vpc-01", "gem-vpc-02"},
    "avd_session_hosts": {"gem-vpc-02"},
}
CONTROL_ROLES = catalog_roles(ROOT)


def card_with(tmp_path, identity):
    card = yaml.safe_load(COMPLETE.read_text(encoding="utf-8"))
    if identity is not None:
        card["identity"] = identity
    path = tmp_path / "gemtest" / "municipality.yml"
    path.parent.mkdir()
    card["name"] = "gemtest"
    path.write_text(yaml.safe_dump(card, sort_keys=False), encoding="utf-8")
    return path


def load(path):
    return load_card(
        path,
        inventory_hosts=HOSTS,
        inventory_groups=set(GROUP_HOSTS),
        group_hosts=GROUP_HOSTS,
        known_control_ids=set(CONTROL_ROLES),
        vault_secret=None,
    )


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        (None, None),
        ("entra", {"default": "entra", "groups": {}}),
        ({"default": "ad"}, {"default": "ad", "groups": {}}),
        (
            {"default": "hybrid", "groups": {"avd_session_hosts": "entra"}},
            {"default": "hybrid", "groups": {"avd_session_hosts": "entra"}},
        ),
    ],
)
def test_the_identity_reaches_the_roles_as_landingzone_identity(tmp_path, identity, expected):
    variables = card_to_vars(load(card_with(tmp_path, identity)), CONTROL_ROLES)
    assert variables.get("landingzone_identity") == expected


@pytest.mark.parametrize(
    ("identity", "field", "message"),
    [
        ("azuread", "identity", "must be one of entra, ad, hybrid; got 'azuread'"),
        ({"groups": {"virtual_pcs": "entra"}}, "identity.default", "is required"),
        (
            {"default": "entra", "groups": {"desks": "ad"}},
            "identity.groups.desks",
            "'desks' is not a group of the inventory",
        ),
        (
            {"default": "entra", "groups": {"virtual_pcs": "intune"}},
            "identity.groups.virtual_pcs",
            "must be one of entra, ad, hybrid",
        ),
        ({"default": "entra", "domain": "gemeente.be"}, "identity.domain", "is not a field of the card"),
        (["entra"], "identity", "must be text or a mapping"),
        (
            {"default": "ad", "groups": {"virtual_pcs": "hybrid", "avd_session_hosts": "entra"}},
            "identity.groups.avd_session_hosts",
            "gives host 'gem-vpc-02' the identity 'entra', but its group 'virtual_pcs' gives it 'hybrid'",
        ),
    ],
)
def test_a_bad_identity_is_named_with_its_field(tmp_path, identity, field, message):
    with pytest.raises(CardError) as caught:
        load(card_with(tmp_path, identity))
    text = str(caught.value)
    assert "municipality.yml" in text
    assert any(field in line and message in line for line in text.splitlines()), text


def test_two_groups_that_agree_on_a_host_are_fine(tmp_path):
    identity = {"default": "ad", "groups": {"virtual_pcs": "entra", "avd_session_hosts": "entra"}}
    assert load(card_with(tmp_path, identity))["identity"] == identity
