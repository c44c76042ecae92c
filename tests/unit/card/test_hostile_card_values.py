"""Hostile strings in every field of a card: identifiers take none of them, text takes only
what its encoders can carry, and each refusal names the field.

Each case is the complete fixture card with one value replaced, written back as YAML (so
newlines and NUL travel as YAML escapes, as an attacker would write them).
"""

import copy
import sys
from pathlib import Path

import pytest
import yaml
from card_testdata import CARDS, FIXTURE_GROUPS, FIXTURE_HOSTS

from landingzone.card import CardError, load_card
from landingzone.card.fields import field_path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hostile_strings import FIELD_VALUES  # noqa: E402

COMPLETE = yaml.safe_load((CARDS / "good" / "complete.yml").read_text())
RTL_OVERRIDE = "\u202e"
HOSTILE = FIELD_VALUES
# Identifier-like fields: (path, a valid value). Every hostile string is refused here.
IDENTIFIERS = [
    (("name",), "gemtest"),
    (("nis_code",), "99002"),
    (("contacts", 0, "role"), "security_officer"),
    (("contacts", 0, "email"), "security@gemtest.invalid"),
    (("management_networks", 0), "10.20.0.0/24"),
    (("log_collector", "host"), "gem-log1"),
    (("ntp_servers", 0), "ntp1.gemtest.invalid"),
    (("backup", "offsite", "endpoint"), "https://s3.gemtest.invalid"),
    (("backup", "offsite", "bucket"), "gemtest-backup"),
    (("backup", "offsite", "region"), "eu-west-1"),
    (("services", 0, "name"), "burgerzaken"),
    (("services", 0, "hosts", 0), "gem-app1"),
    (("services", 0, "health_check"), "https://gem-app1/health"),
    (("services", 0, "depends_on", 0), "gem-log1"),
    (("suppliers", 0, "name"), "acme-it"),
    (("suppliers", 0, "contact"), "support@acme.invalid"),
    (("suppliers", 0, "vpn", "public_key"), "jB1RtJ90cFIa/U+LFlFEJ62HP6QiJx5VpFatN/3ZRYQ="),
    (("suppliers", 0, "vpn", "tunnel_address"), "10.99.0.2/32"),
    (("suppliers", 0, "access", 0, "host"), "gem-app1"),
    (("suppliers", 0, "expires"), "2027-01-31T17:00:00+01:00"),
    (("waivers", 0, "control"), "LZ-SSH-009"),
    (("waivers", 0, "hosts", 0), "app_servers"),
    (("waivers", 0, "expires"), "2027-01-31"),
]
# Free text: shell syntax and quotes are data here (every file they reach encodes them);
# control characters, direction overrides and 10 kB are not.
TEXT_FIELDS = [
    ("display_name",),
    ("contacts", 0, "name"),
    ("services", 0, "role"),
    ("waivers", 0, "approver"),
    ("waivers", 0, "justification"),
    ("waivers", 0, "compensating_measure"),
]
TEXT_REFUSED = ("nul", "rtl override", "10 kB")
TEXT_CARRIED = ("command substitution", "backticks", "double quote", "single quote", "semicolon", "parent directory")


field_name = field_path


def card_with(path, value):
    card = copy.deepcopy(COMPLETE)
    card.setdefault("backup", {}).setdefault("offsite", {})["region"] = "eu-west-1"
    target = card
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return card


def load(tmp_path, card, control_ids):
    # The card's directory names the municipality.
    path = tmp_path / "gemtest" / "municipality.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(card, allow_unicode=False))
    return path, lambda: load_card(
        path,
        inventory_hosts=FIXTURE_HOSTS | {"a\nb", "$(id)"},  # an inventory cannot vouch for such names
        inventory_groups=FIXTURE_GROUPS,
        known_control_ids=control_ids | {"a;id", "$(id)"},
        vault_secret=None,
    )


def test_the_complete_card_with_a_region_is_valid(tmp_path, control_ids):
    _, attempt = load(tmp_path, card_with(("backup", "offsite", "region"), "eu-west-1"), control_ids)
    assert attempt()["backup"]["offsite"]["region"] == "eu-west-1"


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize(("path", "valid"), IDENTIFIERS, ids=lambda v: field_name(v) if isinstance(v, tuple) else "")
def test_an_identifier_takes_no_hostile_string(tmp_path, control_ids, path, valid, kind):
    value = HOSTILE[kind].format(valid=valid)
    path_file, attempt = load(tmp_path, card_with(path, value), control_ids)
    with pytest.raises(CardError) as caught:
        attempt()
    field = field_name(path)
    assert any(line.startswith(f"{path_file}: {field}") for line in str(caught.value).splitlines()), str(caught.value)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("kind", TEXT_REFUSED)
@pytest.mark.parametrize("path", TEXT_FIELDS, ids=field_name)
def test_free_text_refuses_control_characters_overrides_and_bulk(tmp_path, control_ids, path, kind):
    path_file, attempt = load(tmp_path, card_with(path, HOSTILE[kind]), control_ids)
    with pytest.raises(CardError) as caught:
        attempt()
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path_file}: {field_name(path)}: ")
    # The message quotes the value escaped and cut short: no raw control character, no 10 kB.
    assert len(line) < 400 and "\x00" not in line and RTL_OVERRIDE not in line


@pytest.mark.parametrize("kind", TEXT_CARRIED)
@pytest.mark.parametrize("path", TEXT_FIELDS, ids=field_name)
def test_free_text_carries_shell_syntax_and_quotes_as_data(tmp_path, control_ids, path, kind):
    _, attempt = load(tmp_path, card_with(path, HOSTILE[kind]), control_ids)
    card = attempt()
    value = card
    for step in path:
        value = value[step]
    assert value == HOSTILE[kind]


ONE_LINE_FIELDS = [("display_name",), ("contacts", 0, "name"), ("waivers", 0, "approver")]


@pytest.mark.parametrize("path", ONE_LINE_FIELDS, ids=field_name)
def test_a_one_line_field_refuses_a_newline(tmp_path, control_ids, path):
    _, attempt = load(tmp_path, card_with(path, "Gemeente\nTest"), control_ids)
    with pytest.raises(CardError, match=field_name(path).replace("[", r"\[").replace("]", r"\]")):
        attempt()


@pytest.mark.parametrize(
    "network",
    ["fd00:20::%$(id)/64", "fe80::%eth0\n/64"],
    ids=["zone with shell syntax", "zone with a newline"],
)
def test_an_ipv6_zone_cannot_smuggle_text_into_a_network(tmp_path, control_ids, network):
    # Python's ipaddress reads anything after % as a zone and writes it back out verbatim.
    path_file, attempt = load(tmp_path, card_with(("management_networks", 1), network), control_ids)
    with pytest.raises(CardError) as caught:
        attempt()
    assert f"{path_file}: management_networks[1]: " in str(caught.value)
    assert "zone" in str(caught.value)


def test_an_unknown_key_with_a_newline_cannot_forge_a_line_of_the_error(tmp_path, control_ids):
    card = card_with(("contacts", 0, "name"), "Mira Claes")
    card["contacts"][0]["x\ntests/card.yml: name: fine"] = 1
    path_file, attempt = load(tmp_path, card, control_ids)
    with pytest.raises(CardError) as caught:
        attempt()
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path_file}: contacts[0]['x\\ntests/card.yml: name: fine']: is not a field of the card")
