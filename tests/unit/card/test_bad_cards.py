"""Every malformed card in tests/fixtures/cards/bad is refused with its file, field and reason.

Each fixture says what it expects in its header, one ``# expect: FIELD :: FRAGMENT`` line per
problem, so adding a case is adding a file.
"""

import re

import pytest
from card_testdata import CARDS, FIXTURE_GROUPS, FIXTURE_HOSTS

from landingzone.card import CardError, load_card
from landingzone.errors import LandingzoneError

BAD_CARDS = sorted((CARDS / "bad").glob("*.yml"))
EXPECT = re.compile(r"^# expect: (?P<field>.+?) :: (?P<fragment>.+)$", re.MULTILINE)


def test_there_are_enough_bad_cards():
    assert len(BAD_CARDS) >= 25


@pytest.mark.parametrize("card", BAD_CARDS, ids=lambda path: path.stem)
def test_bad_card_is_refused_naming_file_and_field(card, control_ids, vault_secret):
    expectations = EXPECT.findall(card.read_text())
    assert expectations, f"{card.name} has no '# expect:' line"
    with pytest.raises(CardError) as caught:
        load_card(
            card,
            inventory_hosts=FIXTURE_HOSTS,
            inventory_groups=FIXTURE_GROUPS,
            known_control_ids=control_ids,
            vault_secret=vault_secret,
        )
    message = str(caught.value)
    lines = message.splitlines()
    for field, fragment in expectations:
        matching = [line for line in lines if line.startswith(f"{card}: {field}: ")]
        assert matching, f"no problem reported for {field!r}:\n{message}"
        assert any(fragment in line for line in matching), f"{fragment!r} not said about {field!r}:\n{message}"
    # Nothing but the expected problems: a defect must not drag unrelated complaints along.
    assert len(lines) == len(expectations), message


def test_card_error_is_bad_input_for_the_cli():
    error = CardError("x.yml", [("nis_code", "is required")])
    assert isinstance(error, LandingzoneError)
    assert error.exit_code == 2


def test_schema_problems_carry_the_line(control_ids, vault_secret):
    card = CARDS / "bad" / "supplier_port_out_of_range.yml"
    with pytest.raises(CardError) as caught:
        load_card(
            card,
            inventory_hosts=FIXTURE_HOSTS,
            inventory_groups=FIXTURE_GROUPS,
            known_control_ids=control_ids,
            vault_secret=vault_secret,
        )
    port_line = next(n for n, line in enumerate(card.read_text().splitlines(), 1) if "port: 70000" in line)
    assert str(caught.value).endswith(f"(line {port_line})")


def test_vault_value_without_a_password_is_refused(control_ids):
    with pytest.raises(CardError) as caught:
        load_card(
            CARDS / "good" / "vaulted.yml",
            inventory_hosts=FIXTURE_HOSTS,
            inventory_groups=FIXTURE_GROUPS,
            known_control_ids=control_ids,
            vault_secret=None,
        )
    assert f"{CARDS / 'good' / 'vaulted.yml'}: contacts[0].email: is vault-encrypted, but no vault password" in str(
        caught.value
    )


def test_wrong_vault_password_never_shows_ciphertext_or_plaintext(control_ids):
    card = CARDS / "good" / "vaulted.yml"
    with pytest.raises(CardError) as caught:
        load_card(
            card,
            inventory_hosts=FIXTURE_HOSTS,
            inventory_groups=FIXTURE_GROUPS,
            known_control_ids=control_ids,
            vault_secret=b"not the password",
        )
    message = str(caught.value)
    assert "contacts[0].email: cannot decrypt the vault value" in message
    assert "$ANSIBLE_VAULT" not in message and "security@" not in message


def test_card_named_for_another_directory_is_refused(tmp_path, control_ids):
    directory = tmp_path / "othertown"
    directory.mkdir()
    (directory / "municipality.yml").write_text((CARDS / "good" / "complete.yml").read_text())
    with pytest.raises(CardError) as caught:
        load_card(
            directory / "municipality.yml",
            inventory_hosts=FIXTURE_HOSTS,
            inventory_groups=FIXTURE_GROUPS,
            known_control_ids=control_ids,
            vault_secret=None,
        )
    assert "municipality.yml: name: 'gemtest' differs from the inventory directory 'othertown'" in str(caught.value)


def test_missing_file_is_a_card_error(tmp_path):
    with pytest.raises(CardError, match="municipality.yml: \\(file\\): cannot be read"):
        load_card(tmp_path / "municipality.yml", inventory_hosts=set(), known_control_ids=set(), vault_secret=None)
