"""The card's workplace section: each mistake refused with exit 2, naming the file and the field,
before any host is touched; the AVD choice of identity.avd; the workplace_* variables.

Each case is the fixture card tests/fixtures/cards/good/workplace.yml with one change, written back
as YAML (so newlines and NUL travel as YAML escapes, as an attacker would write them).
"""

import copy
import sys
from pathlib import Path

import pytest
import yaml
from card_testdata import CARDS, FIXTURE_GROUPS, FIXTURE_HOSTS, ROOT, run_cli

from landingzone import drill
from landingzone.card import CardError, card_to_vars, catalog_roles, load_card
from landingzone.card.fields import field_path, walk
from landingzone.card.workplace import DEFAULT_KEPT_ACCOUNTS
from landingzone.inventory_accounts import kept_accounts
from landingzone.runner import job

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hostile_strings import FIELD_VALUES  # noqa: E402

WORKPLACE = yaml.safe_load((CARDS / "good" / "workplace.yml").read_text())
CONTROL_ROLES = catalog_roles(ROOT)
# The fixture inventory with a group of AVD session hosts.
GROUPS = FIXTURE_GROUPS | {"avd_session_hosts"}


def changed(**changes) -> dict:
    """The workplace card with ``changes`` made: each key a dotted path ('workplace.roster.0.name'),
    each value the new value, or DELETE to take the field out."""
    card = copy.deepcopy(WORKPLACE)
    for dotted, value in changes.items():
        *parents, last = [int(step) if step.isdigit() else step for step in dotted.split(".")]
        target = card
        for step in parents:
            target = target.setdefault(step, {}) if isinstance(target, dict) else target[step]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return card


DELETE = object()


def write(tmp_path, card) -> Path:
    path = tmp_path / "gemtest" / "municipality.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(card, sort_keys=False, allow_unicode=False))
    return path


def load(tmp_path, card, control_ids, **kwargs) -> dict:
    return load_card(
        write(tmp_path, card),
        inventory_hosts=FIXTURE_HOSTS,
        inventory_groups=GROUPS,
        known_control_ids=control_ids,
        vault_secret=None,
        **kwargs,
    )


def refused(tmp_path, card, control_ids, **kwargs) -> list[tuple[str, str]]:
    """(field, message without its line number) of every problem, each line naming the card's file."""
    with pytest.raises(CardError) as caught:
        load(tmp_path, card, control_ids, **kwargs)
    assert caught.value.exit_code == 2
    path = str(tmp_path / "gemtest" / "municipality.yml")
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    return [(field, message.rsplit(" (line ", 1)[0]) for field, message in caught.value.problems]


def test_the_workplace_card_loads_and_becomes_the_workplace_variables(tmp_path, control_ids):
    variables = card_to_vars(load(tmp_path, WORKPLACE, control_ids), CONTROL_ROLES)
    workplace = {name: value for name, value in variables.items() if name.startswith("workplace_")}
    assert workplace == {
        "workplace_debian_desks": True,
        "workplace_desks": 2,
        "workplace_avd_session_hosts": "",
        "workplace_rto_minutes": 240,
        "workplace_data_classification": 4,
        "workplace_totp_required": True,
        "workplace_idle_lock_minutes": 10,
        # Every default written out: redirection off, the workplace's idle lock.
        "workplace_roles": [
            {
                "name": "burgerzaken",
                "group": "lz-desk-burgerzaken",
                "class4_data": True,
                "clipboard": False,
                "drive_redirection": False,
                "idle_lock_minutes": 5,
            },
            {
                "name": "onthaal",
                "group": "lz-desk-onthaal",
                "class4_data": False,
                "clipboard": True,
                "drive_redirection": True,
                "idle_lock_minutes": 10,
            },
        ],
        "workplace_roster": [
            {"name": "mclaes", "role": "burgerzaken", "group": "lz-desk-burgerzaken", "services": ["burgerzaken"]},
            {"name": "jpeeters", "role": "onthaal", "group": "lz-desk-onthaal", "services": ["burgerzaken"]},
        ],
    }


def test_a_card_without_a_workplace_sets_no_workplace_variable(tmp_path, control_ids):
    variables = card_to_vars(load(tmp_path, changed(workplace=DELETE), control_ids), CONTROL_ROLES)
    assert not [name for name in variables if name.startswith("workplace")]


def test_no_password_reaches_the_variables_and_the_card_refuses_one(tmp_path, control_ids):
    # First passwords come from the vault (workplace_first_passwords), never from the card.
    problems = refused(tmp_path, changed(**{"workplace.roster.0.password": "Welkom2024!"}), control_ids)
    assert problems == [
        ("workplace.roster[0].password", "is not a field of the card (misspelt, or in the wrong place?)")
    ]
    variables = card_to_vars(load(tmp_path, WORKPLACE, control_ids), CONTROL_ROLES)
    assert "password" not in yaml.safe_dump({k: v for k, v in variables.items() if k.startswith("workplace")})


# The three errors first, then their neighbours. Each: the change, and the one problem expected.
REFUSED = {
    "a roster with an unknown service": (
        {"workplace.roster.1.services": ["burgerzaken", "webmail"]},
        [("workplace.roster[1].services[1]", "'webmail' is not a service of this card (burgerzaken)")],
    ),
    "a desk count of 0": (
        {"workplace.desks": 0},
        [
            (
                "workplace.desks",
                "must be at least 1; got 0 (the number of Debian desks, at least 1 and no more than the roster "
                "has people; left out only when identity.avd.use is instead_of_desks)",
            )
        ],
    ),
    "a class-4 role with its clipboard on": (
        {"workplace.roles.0.clipboard": True},
        [
            (
                "workplace.roles[0].clipboard",
                "is on for role 'burgerzaken', which handles class-4 data (class4_data: true); clipboard and drive "
                "redirection stay off for a class-4 role",
            )
        ],
    ),
    "a class-4 role with its drives redirected": (
        {"workplace.roles.0.drive_redirection": True},
        [
            (
                "workplace.roles[0].drive_redirection",
                "is on for role 'burgerzaken', which handles class-4 data (class4_data: true); clipboard and drive "
                "redirection stay off for a class-4 role",
            )
        ],
    ),
    "a role that turns class 4 with its redirection on": (
        {"workplace.roles.1.class4_data": True},
        [
            ("workplace.roles[1].clipboard", "is on for role 'onthaal', which handles class-4 data"),
            ("workplace.roles[1].drive_redirection", "is on for role 'onthaal', which handles class-4 data"),
        ],
    ),
    "a negative desk count": ({"workplace.desks": -1}, [("workplace.desks", "must be at least 1; got -1")]),
    "a desk count as text": ({"workplace.desks": "2"}, [("workplace.desks", "must be a whole number, not text")]),
    "a desk count as true": ({"workplace.desks": True}, [("workplace.desks", "must be a whole number, not true")]),
    "more desks than people": (
        {"workplace.desks": 3},
        [("workplace.desks", "is 3, but the roster has 2 people; a desk nobody logs in to is hardened for nothing")],
    ),
    "a million desks": ({"workplace.desks": 10**6}, [("workplace.desks", "must be at most 1000; got 1000000")]),
    "no desk count without AVD": (
        {"workplace.desks": DELETE},
        [
            (
                "workplace.desks",
                "is required: the workplace runs on Debian desks (identity.avd.use: instead_of_desks would run it "
                "on AVD session hosts alone)",
            )
        ],
    ),
    "the same person twice": (
        {"workplace.roster.1.name": "mclaes"},
        [("workplace.roster[1].name", "'mclaes' is used already by entry 0; it must be unique")],
    ),
    "the same role twice": (
        {"workplace.roles.1.name": "burgerzaken", "workplace.roster.1.role": "burgerzaken"},
        [("workplace.roles[1].name", "'burgerzaken' is used already by entry 0; it must be unique")],
    ),
    "a role that is not on the card": (
        {"workplace.roster.1.role": "kassa"},
        [("workplace.roster[1].role", "'kassa' is not a role of workplace.roles (burgerzaken, onthaal)")],
    ),
    "a service twice for one person": (
        {"workplace.roster.0.services": ["burgerzaken", "burgerzaken"]},
        [("workplace.roster[0].services", "lists 'burgerzaken' more than once")],
    ),
    "a person without services": (
        {"workplace.roster.0.services": []},
        [("workplace.roster[0].services", "needs at least 1 entry")],
    ),
    "an empty roster": (
        {"workplace.roster": [], "workplace.desks": 1},
        [("workplace.roster", "needs at least 1 entry"), ("workplace.desks", "is 1, but the roster has 0 people")],
    ),
    "a person without a role": ({"workplace.roster.0.role": DELETE}, [("workplace.roster[0].role", "is required")]),
    "no RTO": ({"workplace.rto_minutes": DELETE}, [("workplace.rto_minutes", "is required")]),
    "an RTO of 0": ({"workplace.rto_minutes": 0}, [("workplace.rto_minutes", "must be at least 1; got 0")]),
    "TOTP as text": (
        {"workplace.totp_required": "yes"},
        [("workplace.totp_required", "must be true or false, not text")],
    ),
    "no word on TOTP": ({"workplace.totp_required": DELETE}, [("workplace.totp_required", "is required")]),
    "a class-4 role on a class-3 workplace": (
        {"workplace.data_classification": 3},
        [
            (
                "workplace.roles[0].class4_data",
                "is true for role 'burgerzaken', but workplace.data_classification is 3; a role that handles class-4 "
                "data makes the workplace class 4",
            )
        ],
    ),
    "a class-4 workplace on a class-3 card": (
        {"data_classification": 3},
        [
            (
                "workplace.data_classification",
                "is 4, above the card's data_classification 3, the highest class the municipality handles",
            )
        ],
    ),
    "a class-4 workplace without a class-4 role": (
        {"workplace.roles.0.class4_data": False},
        [
            (
                "workplace.data_classification",
                "is 4, but no role has class4_data: true; say which roles handle class-4 data, so that their "
                "redirection stays off",
            )
        ],
    ),
    "a class of 5": ({"workplace.data_classification": 5}, [("workplace.data_classification", "must be at most 4")]),
    "a role without a word on class 4": (
        {"workplace.roles.1.class4_data": DELETE},
        [("workplace.roles[1].class4_data", "is required")],
    ),
    "an idle lock of an hour": (
        {"workplace.idle_lock_minutes": 60},
        [("workplace.idle_lock_minutes", "must be at most 15; got 60 (minutes; CIS asks a screen lock after 15 idle")],
    ),
    "no idle lock": (
        {"workplace.idle_lock_minutes": 0},
        [("workplace.idle_lock_minutes", "must be at least 1; got 0")],
    ),
    "a role that locks later than the workplace": (
        {"workplace.roles.1.idle_lock_minutes": 12},
        [
            (
                "workplace.roles[1].idle_lock_minutes",
                "is 12, longer than workplace.idle_lock_minutes 10; a role may only lock sooner",
            )
        ],
    ),
    "an unknown field in a role": (
        {"workplace.roles.0.printer": True},
        [("workplace.roles[0].printer", "is not a field of the card (misspelt, or in the wrong place?)")],
    ),
}


@pytest.mark.parametrize(("change", "expected"), REFUSED.values(), ids=REFUSED.keys())
def test_a_workplace_mistake_is_refused_naming_its_field(tmp_path, control_ids, change, expected):
    problems = refused(tmp_path, changed(**change), control_ids)
    assert len(problems) == len(expected), problems
    for (field, message), (expected_field, expected_message) in zip(sorted(problems), sorted(expected), strict=True):
        assert field == expected_field, problems
        assert message.startswith(expected_message), problems


# Account names: (name, what the message says). The pattern refuses what is no account name.
TAKEN_NAMES = {
    "operator": "is linux_baseline's operator account (linux_baseline_operator_account's default)",
    "breakglass": "is the break-glass account (linux_baseline_breakglass_account's default)",
    "root": "is an account or group that a Debian desk has already",
    "sudo": "is an account or group that a Debian desk has already",
    "xrdp": "is an account or group that a Debian desk has already",
    "www-data": "is an account or group that a Debian desk has already",
    "lz-operators": "begins with 'lz-', which names accounts and groups of the landing zone or systemd",
    "lz-desk-onthaal": "begins with 'lz-', which names accounts and groups of the landing zone or systemd",
    "systemd-network": "begins with 'systemd-', which names accounts and groups of the landing zone or systemd",
}


@pytest.mark.parametrize(("name", "reason"), TAKEN_NAMES.items(), ids=TAKEN_NAMES.keys())
def test_a_person_cannot_take_an_account_a_desk_has(tmp_path, control_ids, name, reason):
    problems = refused(tmp_path, changed(**{"workplace.roster.1.name": name}), control_ids)
    assert problems == [("workplace.roster[1].name", f"{name!r} {reason}; a person's desk account must be their own")]


def test_the_accounts_the_inventory_keeps_are_refused_with_where_it_keeps_them(tmp_path, control_ids):
    kept = {"beheer": "the account Ansible connects as (ansible_user in group_vars/all/connection.yml)"}
    problems = refused(tmp_path, changed(**{"workplace.roster.0.name": "beheer"}), control_ids, kept_accounts=kept)
    assert problems == [
        (
            "workplace.roster[0].name",
            "'beheer' is the account Ansible connects as (ansible_user in group_vars/all/connection.yml); "
            "a person's desk account must be their own",
        )
    ]


NOT_ACCOUNT_NAMES = ["Mclaes", "1mclaes", "m.claes", "m claes", "-mclaes", "mclaes$", "m" * 33, "", "mcläes"]


@pytest.mark.parametrize("name", NOT_ACCOUNT_NAMES)
def test_a_name_that_is_no_local_account_name_is_refused(tmp_path, control_ids, name):
    problems = refused(tmp_path, changed(**{"workplace.roster.0.name": name}), control_ids)
    assert [field for field, _ in problems] == ["workplace.roster[0].name"]
    assert "is not valid: a local account name" in problems[0][1]


def test_the_longest_account_name_is_taken(tmp_path, control_ids):
    name = "m" * 32
    assert (
        load(tmp_path, changed(**{"workplace.roster.0.name": name}), control_ids)["workplace"]["roster"][0]["name"]
        == name
    )


def test_linux_baseline_keeps_the_accounts_the_card_refuses_by_default():
    defaults = yaml.safe_load((ROOT / "roles" / "linux_baseline" / "defaults" / "main.yml").read_text())
    assert {defaults["linux_baseline_operator_account"], defaults["linux_baseline_breakglass_account"]} == set(
        DEFAULT_KEPT_ACCOUNTS
    )


# Every identifier of the section, with a valid value; each hostile string is refused there.
IDENTIFIERS = {
    "workplace.roster.0.name": "mclaes",
    "workplace.roster.0.role": "burgerzaken",
    "workplace.roster.0.services.0": "burgerzaken",
    "workplace.roles.0.name": "burgerzaken",
    "identity.avd.session_hosts": "avd_session_hosts",
    "identity.avd.use": "beside_desks",
}


@pytest.mark.parametrize("kind", FIELD_VALUES)
@pytest.mark.parametrize(("dotted", "valid"), IDENTIFIERS.items(), ids=IDENTIFIERS.keys())
def test_a_workplace_identifier_takes_no_hostile_string(tmp_path, control_ids, dotted, valid, kind):
    # AVD instead of desks, with a desk count and an identity AVD cannot serve: every message that
    # could name the session hosts' group is provoked.
    card = changed(identity={"default": "ad", "avd": {"session_hosts": "avd_session_hosts", "use": "instead_of_desks"}})
    steps = [int(step) if step.isdigit() else step for step in dotted.split(".")]
    target = card
    for step in steps[:-1]:
        target = target[step]
    target[steps[-1]] = FIELD_VALUES[kind].format(valid=valid)
    problems = refused(tmp_path, card, control_ids)
    assert field_path(tuple(steps)) in [field for field, _ in problems], problems
    assert ("workplace.desks" in dict(problems)) == (dotted != "identity.avd.use"), problems
    # The value is quoted escaped and cut short: no raw control character, no 10 kB.
    assert all(len(message) < 400 and "\x00" not in message and "\u202e" not in message for _, message in problems)


# One value of every JSON type: whatever a field holds, one of these is of another type.
OTHER_TYPES = [5, 1.5, True, None, "text", [], [1], {}, {"a": 1}]


def _json_type(value) -> str:
    return "number" if isinstance(value, int | float) and not isinstance(value, bool) else type(value).__name__


def test_a_value_of_another_type_anywhere_in_the_section_is_refused_naming_its_field(tmp_path, control_ids):
    card = changed(identity=AVD_BESIDE)
    paths = [path for path, _ in walk(card) if path[:1] == ("workplace",) or path[:2] == ("identity", "avd")]
    assert len(paths) >= 30
    for path in paths:
        original = card
        for step in path:
            original = original[step]
        for value in [other for other in OTHER_TYPES if _json_type(other) != _json_type(original)]:
            mutated = copy.deepcopy(card)
            target = mutated
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
            # A CardError, never a traceback; it names the field, or the mapping or list that holds it.
            fields = [field for field, _ in refused(tmp_path, mutated, control_ids)]
            assert any(field_path(path[:cut]) in fields for cut in range(len(path), 0, -1)), (path, value, fields)


# identity.avd: AVD session hosts instead of the Debian desks, or beside them.
AVD_INSTEAD = {"default": "entra", "avd": {"session_hosts": "avd_session_hosts", "use": "instead_of_desks"}}
AVD_BESIDE = {"default": "entra", "avd": {"session_hosts": "avd_session_hosts", "use": "beside_desks"}}


def test_avd_instead_of_desks_makes_no_debian_desk(tmp_path, control_ids):
    card = changed(identity=AVD_INSTEAD, **{"workplace.desks": DELETE})
    variables = card_to_vars(load(tmp_path, card, control_ids), CONTROL_ROLES)
    assert (variables["workplace_debian_desks"], variables["workplace_desks"]) == (False, 0)
    assert variables["workplace_avd_session_hosts"] == "avd_session_hosts"
    # The roster still says who works and what they may open.
    assert [person["name"] for person in variables["workplace_roster"]] == ["mclaes", "jpeeters"]
    # The Windows role's identity is the same as without AVD.
    assert variables["landingzone_identity"] == {"default": "entra", "groups": {}}


def test_avd_instead_of_desks_refuses_a_desk_count(tmp_path, control_ids):
    problems = refused(tmp_path, changed(identity=AVD_INSTEAD), control_ids)
    assert problems == [
        (
            "workplace.desks",
            "must be left out: identity.avd.use is instead_of_desks, so the workplace runs on the AVD session hosts "
            "of group 'avd_session_hosts' and no Debian desk is made (beside_desks would make both)",
        )
    ]


def test_avd_beside_the_desks_keeps_them(tmp_path, control_ids):
    variables = card_to_vars(load(tmp_path, changed(identity=AVD_BESIDE), control_ids), CONTROL_ROLES)
    assert (variables["workplace_debian_desks"], variables["workplace_desks"]) == (True, 2)
    assert variables["workplace_avd_session_hosts"] == "avd_session_hosts"


def test_avd_beside_the_desks_still_needs_a_desk_count(tmp_path, control_ids):
    problems = refused(tmp_path, changed(identity=AVD_BESIDE, **{"workplace.desks": DELETE}), control_ids)
    assert [field for field, _ in problems] == ["workplace.desks"]


def test_avd_needs_an_identity_entra_id_knows(tmp_path, control_ids):
    identity = {"default": "ad", "avd": {"session_hosts": "avd_session_hosts", "use": "beside_desks"}}
    problems = refused(tmp_path, changed(identity=identity), control_ids)
    assert problems == [
        (
            "identity.avd.session_hosts",
            "the AVD session hosts of group 'avd_session_hosts' have the identity 'ad' (identity.default); AVD signs "
            "people in with Microsoft Entra ID, so their identity must be entra or hybrid",
        )
    ]
    # Their own group's identity counts, not the municipality's default.
    identity["groups"] = {"avd_session_hosts": "hybrid"}
    assert load(tmp_path, changed(identity=identity), control_ids)["identity"]["groups"] == {
        "avd_session_hosts": "hybrid"
    }
    identity["default"], identity["groups"] = "entra", {"avd_session_hosts": "ad"}
    problems = refused(tmp_path, changed(identity=identity), control_ids)
    assert problems[0][0] == "identity.avd.session_hosts" and "(identity.groups.avd_session_hosts)" in problems[0][1]


@pytest.mark.parametrize(
    ("avd", "field", "message"),
    [
        (
            {"session_hosts": "virtual_desks", "use": "beside_desks"},
            "identity.avd.session_hosts",
            "'virtual_desks' is not a group of the inventory",
        ),
        (
            {"session_hosts": "avd_session_hosts", "use": "instead"},
            "identity.avd.use",
            "must be one of instead_of_desks, beside_desks",
        ),
        ({"session_hosts": "avd_session_hosts"}, "identity.avd.use", "is required"),
        ({"use": "beside_desks"}, "identity.avd.session_hosts", "is required"),
    ],
)
def test_a_bad_avd_choice_is_named_with_its_field(tmp_path, control_ids, avd, field, message):
    problems = refused(tmp_path, changed(identity={"default": "entra", "avd": avd}), control_ids)
    assert [name for name, _ in problems] == [field]
    assert problems[0][1].startswith(message)


# The inventory's kept accounts, read from its files as Ansible would find them.
def test_the_accounts_an_inventory_keeps_are_read_from_its_files(tmp_path):
    inventory = tmp_path / "gemtest"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    (inventory / "host_vars").mkdir()
    (inventory / "hosts.yml").write_text(
        "all:\n  children:\n    desks:\n      hosts:\n        gem-desk1:\n          ansible_user: deskadmin\n"
        "      vars:\n        linux_baseline_breakglass_account: noodtoegang\n"
    )
    (inventory / "group_vars" / "all" / "connection.yml").write_text(
        "ansible_user: beheer\nlinux_baseline_operator_account: '{{ ansible_user }}'\n"
    )
    # A path that would forge a line of the error is quoted (host_vars/<host>/ may hold any file).
    (inventory / "host_vars" / "gem-desk2\ngemtest: name: fine").mkdir()
    (inventory / "host_vars" / "gem-desk2\ngemtest: name: fine" / "vars.yml").write_text(
        "linux_baseline_operator_account: desk\n"
    )
    (inventory / "municipality.yml").write_text("ansible_user: not-an-inventory-value\n")
    assert kept_accounts(inventory, None) == {
        "beheer": "the account Ansible connects as (ansible_user in group_vars/all/connection.yml)",
        "deskadmin": "the account Ansible connects as (ansible_user in hosts.yml)",
        "noodtoegang": "the break-glass account (linux_baseline_breakglass_account in hosts.yml)",
        "desk": "the operator account "
        "(linux_baseline_operator_account in 'host_vars/gem-desk2\\ngemtest: name: fine/vars.yml')",
    }


# The CLI: every command that reads the card stops before any host.


def test_the_demo_workplace_is_one_desk_for_a_small_roster(demo_fleet, capsys):
    code, out, err = run_cli(demo_fleet, capsys, "validate", "demo")
    assert (code, out, err) == (0, "demo (99001): valid, 7 hosts\n", "")
    card = yaml.safe_load((demo_fleet / "demo" / "municipality.yml").read_text())
    assert card["workplace"]["desks"] == 1 and 1 < len(card["workplace"]["roster"]) <= 5


@pytest.mark.parametrize("command", [["validate", "demo"], ["apply", "demo"]])
def test_a_bad_workplace_on_the_demo_card_stops_the_command_before_any_host(demo_fleet, capsys, monkeypatch, command):
    monkeypatch.setattr(job, "Runner", lambda *a, **k: pytest.fail("a runner job started"))
    monkeypatch.setattr(drill, "drill_target", lambda *a, **k: pytest.fail("a drill host was started"))
    card = demo_fleet / "demo" / "municipality.yml"
    text = card.read_text()
    for old, new in [
        ("  desks: 1\n", "  desks: 0\n"),
        ("    - name: lmertens\n", "    - name: operator\n"),
        ("services: [citizen-portal, website]", "services: [citizen-portal, webmail]"),
        (
            "      clipboard: true\n",
            "      clipboard: true\n    - name: kassa\n      class4_data: true\n      drive_redirection: true\n",
        ),
    ]:
        assert old in text
        text = text.replace(old, new)
    card.write_text(text)
    code, out, err = run_cli(demo_fleet, capsys, *command)
    assert (code, out) == (2, "")
    fields = [line.removeprefix("landingzone: ").split(": ")[1] for line in err.splitlines()]
    assert fields == [
        "workplace.desks",
        "workplace.roles[2].class4_data",
        "workplace.roles[2].drive_redirection",
        "workplace.roster[0].name",
        "workplace.roster[1].services[1]",
    ], err
    assert f"{card}: workplace.roster[0].name: 'operator' is the account Ansible connects as (ansible_user in " in err
