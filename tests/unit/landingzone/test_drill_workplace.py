"""`drill M --workplace` decided before any host starts: which empty hosts stand in for which desks
and gateway, who logs in where, the answers from the vault, and a record that holds no secret."""

import json
from pathlib import Path

import pytest
import yaml
from workplace_drill_municipality import LAB_VAULT_PASSWORD, MUNICIPALITY, write_municipality

from landingzone.cli import main
from landingzone.drill_summary import summary_lines, workplace_record
from landingzone.drill_workplace import (
    drill_record,
    drill_variables,
    expected_word,
    has_workplace,
    login_secrets,
    plan_workplace,
)
from landingzone.errors import LandingzoneError
from landingzone.inventory import inventory_groups
from landingzone.runner.vault import vault_lib
from landingzone.workplace_login import LoginResult, totp_code

CARD = Path("inventories/gent/municipality.yml")
HOSTS = Path("inventories/gent/hosts.yml")
ROSTER = [
    {"name": "mclaes", "role": "balie", "group": "lz-desk-balie", "services": ["register"]},
    {"name": "jpeeters", "role": "balie", "group": "lz-desk-balie", "services": ["register"]},
    {"name": "avos", "role": "balie", "group": "lz-desk-balie", "services": ["register"]},
]
GROUPS = {"workplace_desks": ["gent-desk1", "gent-desk2", "gent-desk3"], "workplace_gateways": ["gent-gw1"]}
LAB = ["gent-app1", "gent-desk1", "gent-desk2", "gent-desk3", "gent-gw1"]
PASSWORD = "Zomer-Drill-Kaai-2026"
TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def card_vars(desks=2, **overrides):
    return {
        "workplace_debian_desks": True,
        "workplace_desks": desks,
        "workplace_rto_minutes": 60,
        "workplace_totp_required": True,
        "workplace_roster": ROSTER,
        **overrides,
    }


def test_each_desk_gets_an_empty_host_and_the_person_the_gateway_sends_there():
    plan = plan_workplace("gent", card_vars(desks=2), GROUPS, LAB, CARD, HOSTS)
    assert plan.desks == [("gent-drill-desk1", "gent-desk1"), ("gent-drill-desk2", "gent-desk2")]
    assert plan.gateway == ("gent-drill-gw1", "gent-gw1")
    # The gateway sends the person at position i of the roster to desk i.
    assert [(login.person, login.desk) for login in plan.logins] == [
        ("mclaes", "gent-drill-desk1"),
        ("jpeeters", "gent-drill-desk2"),
    ]
    assert plan.rto_minutes == 60 and plan.totp_required


def test_the_run_gets_the_desks_in_the_gateways_order_and_the_runs_word():
    plan = plan_workplace("gent", card_vars(desks=2), GROUPS, LAB, CARD, HOSTS)
    addresses = {"gent-drill-desk1": "10.0.0.5", "gent-drill-desk2": "10.0.0.6", "gent-drill-gw1": "10.0.0.7"}
    variables = drill_variables(plan, addresses, 1000.0, "c0ffee")["landingzone_workplace_drill"]
    assert [desk["name"] for desk in variables["desks"]] == ["gent-drill-desk1", "gent-drill-desk2"]
    assert variables["desks"][1] == {"name": "gent-drill-desk2", "address": "10.0.0.6", "source_host": "gent-desk2"}
    assert variables["gateway"] == {"name": "gent-drill-gw1", "address": "10.0.0.7", "source_host": "gent-gw1"}
    assert variables["nonce"] == "c0ffee" and variables["started_epoch"] == 1000.0


@pytest.mark.parametrize(
    ("variables", "groups", "lab", "message"),
    [
        ({}, GROUPS, LAB, f"{CARD}: workplace: the card has no workplace section"),
        (card_vars(workplace_debian_desks=False), GROUPS, LAB, f"{CARD}: identity.avd.use: instead_of_desks"),
        (card_vars(desks=4), GROUPS, LAB, f"{HOSTS}: workplace_desks: the card's workplace.desks is 4"),
        (card_vars(), {**GROUPS, "workplace_gateways": []}, LAB, f"{HOSTS}: workplace_gateways: no host"),
        (card_vars(), GROUPS, ["gent-desk1", "gent-desk2"], f"{HOSTS}: 'gent-gw1' is not a host of the lab gent"),
    ],
)
def test_what_the_drill_cannot_bring_up_is_named_before_any_host_starts(variables, groups, lab, message):
    with pytest.raises(LandingzoneError, match="^" + message.replace(".", r"\.").replace("(", r"\(")):
        plan_workplace("gent", variables, groups, lab, CARD, HOSTS)


def test_only_a_card_with_debian_desks_brings_the_workplace_into_the_whole_drill():
    assert has_workplace(card_vars())
    assert not has_workplace({"landingzone_services": []})
    assert not has_workplace(card_vars(workplace_debian_desks=False))


def _vault(password: str, text: str) -> str:
    return vault_lib(password).encrypt(text).decode()


def _inventory(tmp_path: Path, vault_password: str, passwords: dict, totps: dict) -> Path:
    directory = tmp_path / "gent"
    (directory / "group_vars" / "all").mkdir(parents=True)
    (directory / "hosts.yml").write_text("all:\n  hosts:\n    gent-desk1: {}\n", encoding="utf-8")

    def vaulted(mapping: dict) -> str:
        lines = []
        for person, secret in mapping.items():
            lines.append(f"  {person}: !vault |")
            lines += ["    " + line for line in _vault(vault_password, secret).splitlines()]
        return "\n".join(lines)

    (directory / "group_vars" / "all" / "vault.yml").write_text(
        f"---\nworkplace_first_passwords:\n{vaulted(passwords)}\nworkplace_totp_secrets:\n{vaulted(totps)}\n",
        encoding="utf-8",
    )
    return directory


def test_the_answers_come_from_the_vault(tmp_path):
    inventory = _inventory(tmp_path, "lab-vault-password-1", {"mclaes": PASSWORD}, {"mclaes": TOTP})
    assert login_secrets(inventory, "lab-vault-password-1", ["mclaes"], True) == {"mclaes": (PASSWORD, TOTP)}
    # Without TOTP on the card, no code is typed.
    assert login_secrets(inventory, "lab-vault-password-1", ["mclaes"], False) == {"mclaes": (PASSWORD, None)}


def test_a_person_without_a_password_or_a_totp_secret_is_named(tmp_path):
    inventory = _inventory(tmp_path, "lab-vault-password-1", {"mclaes": PASSWORD}, {})
    with pytest.raises(LandingzoneError, match="workplace_first_passwords: no first password for 'jpeeters'"):
        login_secrets(inventory, "lab-vault-password-1", ["jpeeters"], True)
    with pytest.raises(LandingzoneError, match="workplace_totp_secrets: no TOTP secret for 'mclaes'"):
        login_secrets(inventory, "lab-vault-password-1", ["mclaes"], True)


def test_a_wrong_vault_password_names_the_file_and_the_person_not_the_secret(tmp_path):
    inventory = _inventory(tmp_path, "lab-vault-password-1", {"mclaes": PASSWORD}, {"mclaes": TOTP})
    with pytest.raises(LandingzoneError) as raised:
        login_secrets(inventory, "another-vault-password", ["mclaes"], True)
    assert "vault.yml: workplace_first_passwords.mclaes: cannot be decrypted" in str(raised.value)
    assert PASSWORD not in str(raised.value)


def _login(desk, person, logged_in=True, ended=1100.0):
    seen = expected_word(desk, "c0ffee") if logged_in else ""
    problem = "" if logged_in else "no session within 150 s (client: ERRCONNECT_CONNECT_FAILED)"
    return LoginResult(person, desk, logged_in, 21.5, seen, expected_word(desk, "c0ffee"), ended, problem)


def _plan(desks=2, rto=60):
    return plan_workplace("gent", card_vars(desks=desks, workplace_rto_minutes=rto), GROUPS, LAB, CARD, HOSTS)


def test_the_record_times_the_last_desk_against_the_rto():
    logins = [_login("gent-drill-desk1", "mclaes", ended=1090.0), _login("gent-drill-desk2", "jpeeters", ended=1100.0)]
    record = drill_record("gent", _plan(), 1000.0, 1010.0, 1060.0, logins, finished=True)
    assert record["status"] == "pass" and record["verdict"] == "pass" and record["rto_met"] is True
    assert record["achieved_seconds"] == 100.0 and record["hosts_ready_seconds"] == 10.0
    assert record["applied_seconds"] == 60.0 and record["desks"] == 2 and record["gateway"] == "gent-drill-gw1"
    assert [login["after_seconds"] for login in record["logins"]] == [90.0, 100.0]
    assert record["logins"][0]["session_showed"] == "gent-drill-desk1 c0ffee"


def test_a_missed_rto_and_a_desk_nobody_logged_into_fail():
    on_time = [_login("gent-drill-desk1", "mclaes", ended=1061.0), _login("gent-drill-desk2", "jpeeters", ended=1070.0)]
    late = drill_record("gent", _plan(rto=1), 1000.0, 1010.0, 1060.0, on_time, finished=True)
    assert late["status"] == "pass" and late["rto_met"] is False and late["verdict"] == "fail"
    one_refused = [_login("gent-drill-desk1", "mclaes"), _login("gent-drill-desk2", "jpeeters", logged_in=False)]
    refused = drill_record("gent", _plan(), 1000.0, 1010.0, 1060.0, one_refused, finished=True)
    assert refused["status"] == "fail" and refused["verdict"] == "fail" and refused["achieved_seconds"] is None
    unset = drill_record("gent", _plan(), 1000.0, 1010.0, 1060.0, [], finished=False)
    assert unset["status"] == "error" and unset["verdict"] == "error" and "no login was tried" in unset["error"]


def test_neither_the_record_nor_the_summary_holds_a_password_a_code_or_a_secret():
    code = totp_code(TOTP, 1100.0)
    logins = [_login("gent-drill-desk1", "mclaes"), _login("gent-drill-desk2", "jpeeters", logged_in=False)]
    record = drill_record("gent", _plan(), 1000.0, 1010.0, 1060.0, logins, finished=True)
    shown = json.dumps(record) + "\n".join(summary_lines("gent", [], [record]))
    for secret in (PASSWORD, TOTP, code, PASSWORD + code):
        assert secret not in shown


def test_the_summary_has_a_line_for_the_workplace_and_one_per_desk():
    logins = [_login("gent-drill-desk1", "mclaes"), _login("gent-drill-desk2", "jpeeters", logged_in=False)]
    record = drill_record("gent", _plan(), 1000.0, 1010.0, 1060.0, logins, finished=True)
    lines = summary_lines("gent", ["register"], [{"service": "register", "status": "pass"}, record])
    assert workplace_record([record]) is record
    workplace = [line for line in lines if "workplace" in line or "desk " in line]
    assert workplace[0].startswith("  workplace: fail, 2 desks logged into after None s of an RTO of 60 min")
    assert workplace[1] == "    desk gent-drill-desk1 as mclaes: logged in after 100.0 s (its login 21.5 s)"
    assert workplace[2].startswith("    desk gent-drill-desk2 as jpeeters: NOT logged in: no session within 150 s")


def test_totp_codes_are_rfc_6238():
    # RFC 6238's SHA-1 test vector: the secret "12345678901234567890" at 59 s gives 94287082 (8 digits).
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp_code(secret, 59) == "287082"
    assert totp_code(secret, 1111111109) == "081804"


@pytest.mark.parametrize("which", ["--workplace", "--all"])
def test_a_card_with_more_desks_than_the_inventory_stops_the_drill_before_any_host(
    which, tmp_path, monkeypatch, capsys
):
    # --all includes the workplace of a card that has one: its plan is checked with the services'.
    write_municipality(tmp_path, desks=2)
    monkeypatch.setattr("landingzone.lab.drill_target.Podman", None)  # any container asked for would fail loudly
    monkeypatch.setattr("landingzone.drill_workplace.ensure_desk_image", None)
    code = main(["--fleet", str(tmp_path), "--vault-password-file", str(LAB_VAULT_PASSWORD), "drill", MUNICIPALITY,
                 which])  # fmt: skip
    assert code == 2
    hosts = tmp_path / MUNICIPALITY / "hosts.yml"
    card = tmp_path / MUNICIPALITY / "municipality.yml"
    assert (
        f"{hosts}: workplace_desks: the card's workplace.desks is 2 ({card}), the group has 1 host(s)"
    ) in capsys.readouterr().err


def test_the_workplace_drill_restores_nothing_from_offsite(tmp_path, capsys):
    write_municipality(tmp_path)
    code = main(["--fleet", str(tmp_path), "--vault-password-file", str(LAB_VAULT_PASSWORD), "drill", MUNICIPALITY,
                 "--workplace", "--from-offsite"])  # fmt: skip
    assert code == 2
    assert "--from-offsite, --as-of: the workplace drill restores nothing" in capsys.readouterr().err


def test_the_workplace_and_a_service_are_one_choice(capsys):
    with pytest.raises(SystemExit):
        main(["drill", "demo", "--workplace", "--service", "website"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_the_plan_from_a_real_inventory_fits_in_the_runs_vars_file(tmp_path):
    # Ansible's inventory gives host names as its own string type, which a YAML vars file cannot hold.
    write_municipality(tmp_path)
    groups = inventory_groups(tmp_path / MUNICIPALITY / "hosts.yml")
    lab = [host for hosts in groups.values() for host in hosts]
    plan = plan_workplace(MUNICIPALITY, card_vars(desks=1), groups, lab, CARD, HOSTS)
    addresses = {name: "10.0.0.9" for name, _ in plan.wanted}
    assert "wpdrill-drill-desk1" in yaml.safe_dump(drill_variables(plan, addresses, 1000.0, "c0ffee"))
