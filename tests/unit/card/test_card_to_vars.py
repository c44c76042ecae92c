"""The card as role variables: names the roles declare, waivers only from the card."""

import yaml
from card_testdata import CARDS, FIXTURE_GROUPS, FIXTURE_HOSTS, ROOT

from landingzone.card import card_to_vars, catalog_roles, load_card

CONTROL_ROLES = catalog_roles(ROOT)


def baseline_options() -> set[str]:
    specs = yaml.safe_load((ROOT / "roles" / "linux_baseline" / "meta" / "argument_specs.yml").read_text())
    return set(specs["argument_specs"]["main"]["options"])


def complete_vars(control_ids, vault_secret=None, name="complete.yml"):
    card = load_card(
        CARDS / "good" / name,
        inventory_hosts=FIXTURE_HOSTS,
        inventory_groups=FIXTURE_GROUPS,
        known_control_ids=control_ids,
        vault_secret=vault_secret,
    )
    return card_to_vars(card, CONTROL_ROLES)


def test_every_baseline_variable_is_declared_by_the_role(control_ids):
    variables = complete_vars(control_ids)
    baseline = {name for name in variables if name.startswith("linux_baseline_")}
    assert baseline == {
        "linux_baseline_level",
        "linux_baseline_cyfun_edition",
        "linux_baseline_management_networks",
        "linux_baseline_ntp_servers",
        "linux_baseline_log_collector",
        "linux_baseline_waivers",
    }
    assert baseline <= baseline_options()


def test_card_values_reach_the_roles(control_ids):
    variables = complete_vars(control_ids)
    assert variables["linux_baseline_level"] == "essential"
    assert variables["linux_baseline_management_networks"] == ["10.20.0.0/24", "fd00:20::/64"]
    assert variables["linux_baseline_log_collector"] == {"host": "gem-log1", "port": 6514}
    assert variables["landingzone_municipality"]["nis_code"] == "99002"
    assert variables["landingzone_municipality"]["data_classification"] == 4
    assert variables["landingzone_backup_retention"]["keep_monthly"] == 6
    assert variables["landingzone_backup_retention"]["min_hold_days"] == 45
    assert variables["landingzone_backup_suspect"] == {"max_skew_minutes": 120, "max_shrink_percent": 40}
    assert variables["landingzone_services"][0]["rto_minutes"] == 240
    assert variables["landingzone_suppliers"][0]["access"] == [{"host": "gem-app1", "port": 443, "proto": "tcp"}]
    assert variables["landingzone_vpn_tunnel_networks"] == ["10.99.0.0/24", "fd00:99::/64"]
    assert variables["landingzone_vpn_service_networks"] == ["10.30.0.0/24", "fd00:30::/64"]


def test_waivers_have_host_lists_the_engine_reads(control_ids):
    waiver = complete_vars(control_ids)["linux_baseline_waivers"][0]
    assert waiver["hosts"] == ["app_servers"]
    assert set(waiver) == {"control", "hosts", "justification", "approver", "expires", "compensating_measure"}


def test_a_card_without_waivers_still_sets_the_waivers_to_none(control_ids):
    # Set explicitly, so a waiver written into group_vars is overridden by the extra vars and never applies.
    card = load_card(
        CARDS / "good" / "complete.yml",
        inventory_hosts=FIXTURE_HOSTS,
        inventory_groups=FIXTURE_GROUPS,
        known_control_ids=control_ids,
        vault_secret=None,
    )
    del card["waivers"]
    variables = card_to_vars(card, CONTROL_ROLES)
    assert variables["linux_baseline_waivers"] == [] and variables["windows_baseline_waivers"] == []


def test_decrypted_values_become_plain_strings(control_ids, vault_secret):
    email = complete_vars(control_ids, vault_secret, "vaulted.yml")["landingzone_municipality"]["contacts"][0]["email"]
    assert type(email) is str


def test_each_waiver_goes_to_the_role_whose_catalog_has_the_control(control_ids):
    card = load_card(
        CARDS / "good" / "complete.yml",
        inventory_hosts=FIXTURE_HOSTS,
        inventory_groups=FIXTURE_GROUPS,
        known_control_ids=control_ids,
        vault_secret=None,
    )
    linux = card["waivers"][0]
    windows = dict(linux, control=next(i for i, role in CONTROL_ROLES.items() if role == "windows_baseline"))
    card["waivers"] = [linux, windows]
    variables = card_to_vars(card, CONTROL_ROLES)
    assert [w["control"] for w in variables["linux_baseline_waivers"]] == [linux["control"]]
    assert [w["control"] for w in variables["windows_baseline_waivers"]] == [windows["control"]]
    # Every role with a catalog gets its waivers from the card, even none: group_vars cannot add one.
    assert {name for name in variables if name.endswith("_waivers")} == {
        f"{role}_waivers" for role in set(CONTROL_ROLES.values())
    }
