"""The card's cyfun_target_level names its CyFun edition; a card with a level alone is read as a
2023 card, the edition it was written against, and selects what it selected before editions."""

import yaml
from ansible_collections.cyberveilig.landingzone.plugins.filter.controls import select_controls
from card_testdata import CARDS, ROOT, load_against_fixtures

from landingzone.card import card_to_vars, catalog_roles, new_municipality

CONTROL_ROLES = catalog_roles(ROOT)


def load_with(tmp_path, control_ids, target) -> dict:
    card = yaml.safe_load((CARDS / "good" / "complete.yml").read_text())
    card["cyfun_target_level"] = target
    path = tmp_path / "card.yml"
    path.write_text(yaml.safe_dump(card))
    return load_against_fixtures(path, control_ids)


def role_options(role: str) -> set[str]:
    specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return set(specs["argument_specs"]["main"]["options"])


def catalog(role: str) -> dict:
    return {
        path.stem: yaml.safe_load(path.read_text())[path.stem]
        for path in sorted((ROOT / "roles" / role / "controls").glob("*.yml"))
    }


def test_a_level_alone_is_a_2023_level(tmp_path, control_ids):
    variables = card_to_vars(load_with(tmp_path, control_ids, "essential"), CONTROL_ROLES)
    assert variables["linux_baseline_level"] == variables["windows_baseline_level"] == "essential"
    assert variables["linux_baseline_cyfun_edition"] == variables["windows_baseline_cyfun_edition"] == 2023
    assert variables["landingzone_municipality"]["cyfun_target_level"] == "essential"
    assert variables["landingzone_municipality"]["cyfun_edition"] == 2023


def test_an_edition_and_a_level_reach_both_baselines(tmp_path, control_ids):
    card = load_with(tmp_path, control_ids, {"edition": 2025, "level": "important"})
    variables = card_to_vars(card, CONTROL_ROLES)
    assert variables["linux_baseline_level"] == variables["windows_baseline_level"] == "important"
    assert variables["linux_baseline_cyfun_edition"] == variables["windows_baseline_cyfun_edition"] == 2025
    # Playbooks that read the card's level keep getting a level, with the edition beside it.
    assert variables["landingzone_municipality"]["cyfun_target_level"] == "important"
    assert variables["landingzone_municipality"]["cyfun_edition"] == 2025
    assert card["cyfun_target_level"] == {"edition": 2025, "level": "important"}  # the card itself is untouched


def test_every_variable_the_card_sets_for_a_baseline_is_declared_by_it(tmp_path, control_ids):
    variables = card_to_vars(load_with(tmp_path, control_ids, {"edition": 2025, "level": "basic"}), CONTROL_ROLES)
    for role in ("linux_baseline", "windows_baseline"):
        assert {name for name in variables if name.startswith(f"{role}_")} <= role_options(role)


def test_the_card_s_edition_selects_the_linux_controls_the_role_runs(tmp_path, control_ids):
    """What the role's vars/main.yml does with the card's variables: the filter, by edition."""
    linux = catalog("linux_baseline")
    for target, edition in (("important", 2023), ({"edition": 2025, "level": "important"}, 2025)):
        variables = card_to_vars(load_with(tmp_path, control_ids, target), CONTROL_ROLES)
        selected = select_controls(
            linux, variables["linux_baseline_level"], edition=variables["linux_baseline_cyfun_edition"]
        )
        level_field = "level_2025" if edition == 2025 else "level"
        expected = [
            c["id"]
            for controls in linux.values()
            for c in controls
            if c[level_field] in ("basic", "important") and "configured_when" not in c
        ]
        # Controls whose prerequisite is a role variable (configured_when) are left out unrendered here.
        assert [c["id"] for c in selected] == expected
        assert {c["cyfun_edition"] for c in selected} == {edition}


def test_a_new_municipality_targets_the_current_edition(tmp_path):
    # That the scaffolded card validates is test_scaffold.py's; here, which edition it names.
    directory = new_municipality(tmp_path, "gemnew", "99003")
    card = yaml.safe_load((directory / "municipality.yml").read_text())
    assert card["cyfun_target_level"] == {"edition": 2025, "level": "important"}
