"""Inventory values that land in rendered files are refused by `landingzone validate` (and every
fleet command) before any host is touched, naming the file and the field, with the same
encoders the roles' templates use; calendar events and time spans are read by the
controller's systemd-analyze. Wherever the inventory sets a value: group_vars, host_vars, a
host or a group's vars in hosts.yml, a vault-encrypted value."""

import shutil
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from landingzone.errors import LandingzoneError
from landingzone.inventory_values import CHECKS, check_inventory
from landingzone.runner.vault import encrypt

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hostile_strings import HOSTILE  # noqa: E402
from lab_north import PASSWORD_FILE, lab_north_fleet, validate  # noqa: E402

PASSWORD = PASSWORD_FILE.read_text().strip()
ROOT = Path(__file__).resolve().parents[3]
HAS_SYSTEMD_ANALYZE = shutil.which("systemd-analyze") is not None

# A good value of each variable, which validates.
GOOD = {
    "linux_baseline_operator_group": "lz-operators",
    "linux_baseline_sudo_group": "sudo",
    "linux_baseline_ssh_extra_allow_groups": ["supplier_admins"],
    "linux_baseline_ntp_servers": ["ntp1.lab-north.invalid", "10.231.71.1"],
    "linux_baseline_log_collector": {"host": "logs.lab-north.invalid", "port": 6514},
    "citizen_portal_server_name": "www.lab-north.invalid",
    "backup_agent_server_url": "https://[fd00:231:71::5]:8443",
    "backup_agent_on_calendar": "*-*-* 01:30:00",
    "backup_agent_randomized_delay": "15min",
    "backup_server_index_on_calendar": "*:0/5",
    "backup_server_verify_on_calendar": "Mon..Fri 04:15",
    "backup_server_retention_on_calendar": "daily",
    "backup_server_offsite_on_calendar": "*-*-* 06:15:00 UTC",
    "backup_server_user": "restic-rest",
    "backup_server_keeper_user": "restic-keeper",
    "backup_server_repository_root": "/srv/restic",
    "log_collector_storage_dir": "/var/log/remote",
    "log_collector_seal_schedule": "*-*-* 00:00:00 UTC",
    "vpn_gateway_interface": "lzwg0",
    "vpn_gateway_ipsec_interface": "ipsec0",
    "vpn_gateway_endpoint": "[fd00:231:71::9]",
    "vpn_gateway_ipsec_id": "vpn.lab-north.invalid",
    "vpn_gateway_ipsec_local_networks": ["10.231.71.0/24"],
}
LISTS = {name for name, value in GOOD.items() if isinstance(value, list)}


fleet = pytest.fixture(lab_north_fleet, name="fleet")


def group_vars(fleet, values: dict, name="rendered.yml") -> Path:
    path = fleet / "lab-north" / "group_vars" / "all" / name
    path.write_text(yaml.safe_dump(values))
    return path


def _hostile_value(name: str, text: str):
    if name in LISTS:
        return [*GOOD[name], text]
    if name == "linux_baseline_log_collector":
        return {"host": text, "port": 6514}
    return text


def _field(name: str) -> str:
    if name in LISTS:
        return f"{name}[{len(GOOD[name])}]"
    return f"{name}.host" if name == "linux_baseline_log_collector" else name


def test_every_checked_variable_is_one_a_role_declares():
    declared = set()
    for specs in (ROOT / "roles").glob("*/meta/argument_specs.yml"):
        for entry in yaml.safe_load(specs.read_text())["argument_specs"].values():
            declared |= set(entry.get("options") or {})
    assert set(CHECKS) <= declared, set(CHECKS) - declared
    assert set(GOOD) == set(CHECKS)


def test_good_values_validate(fleet, capsys):
    group_vars(fleet, GOOD)
    code, err = validate(fleet, capsys)
    assert code == 0, err


def refusal(fleet) -> str:
    """The check validate runs, alone (validate also runs ansible-inventory: a second a call)."""
    with pytest.raises(LandingzoneError) as refused:
        check_inventory(fleet / "lab-north", PASSWORD)
    return str(refused.value)


# Unit files carry a path with ../ and a long word as one word, as the roles' encoder does on the host.
CARRIED = {
    (name, kind)
    for name in ("backup_server_user", "backup_server_keeper_user", "backup_server_repository_root")
    + ("log_collector_storage_dir",)
    for kind in ("parent directory", "10 kB")
}


def test_a_hostile_value_ends_validate_with_exit_2_naming_the_file_and_the_field(fleet, capsys):
    path = group_vars(fleet, {**GOOD, "vpn_gateway_endpoint": "vpn.lab-north.invalid\nPostUp = id"})
    code, err = validate(fleet, capsys)
    assert code == 2, err
    assert f"{path}: vpn_gateway_endpoint: " in err, err


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("name", sorted(GOOD))
def test_a_hostile_value_is_refused_naming_the_file_and_the_field(fleet, name, hostile):
    path = group_vars(fleet, {**GOOD, name: _hostile_value(name, HOSTILE[hostile])})
    if (name, hostile) in CARRIED:
        check_inventory(fleet / "lab-north", PASSWORD)
        return
    message = refusal(fleet)
    assert message.startswith(f"{path}: {_field(name)}: "), message
    assert "\n" not in message, "a value's newline reached the message"


@pytest.mark.skipif(not HAS_SYSTEMD_ANALYZE, reason="needs systemd-analyze")
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("backup_server_verify_on_calendar", "zq/../../etc/passwdqz"),
        ("backup_server_index_on_calendar", "x" * 10_240),
        ("log_collector_seal_schedule", "every night"),
        ("backup_agent_on_calendar", "25:00"),
        ("backup_agent_randomized_delay", "15 fortnights"),
    ],
)
def test_words_that_are_no_calendar_or_time_span_are_refused(fleet, name, value):
    """These pass the unit-file encoder (one word or words): on a host the timer would never fire."""
    path = group_vars(fleet, {name: value})
    message = refusal(fleet)
    assert message.startswith(f"{path}: {name}: ") and "systemd reads" in message, message


@pytest.mark.parametrize(
    ("where", "text", "field"),
    [
        (
            "hosts.yml",
            "all:\n  hosts:\n    north-app1:\n      lab_address: 10.231.71.11\n"
            "      citizen_portal_server_name: 'www\\nlisten 80'\n"
            "    north-app2:\n      lab_address: 10.231.71.12\n",
            "all.hosts.north-app1.citizen_portal_server_name",
        ),
        (
            "hosts.yml",
            "all:\n  hosts:\n    north-app1:\n      lab_address: 10.231.71.11\n"
            "    north-app2:\n      lab_address: 10.231.71.12\n"
            "  vars:\n    linux_baseline_ssh_extra_allow_groups: ['*']\n",
            "all.vars.linux_baseline_ssh_extra_allow_groups[0]",
        ),
        ("host_vars/north-app1.yml", 'vpn_gateway_endpoint: "vpn\\nPostUp = id"\n', "vpn_gateway_endpoint"),
    ],
)
def test_values_in_hosts_yml_and_host_vars_are_checked_too(fleet, where, text, field):
    path = fleet / "lab-north" / where
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    message = refusal(fleet)
    assert message.startswith(f"{path}: {field}: "), message


def test_a_vault_encrypted_value_is_checked_once_opened_and_never_shown(fleet):
    vaulted = textwrap.indent(encrypt(PASSWORD, "lz-operators *"), "  ")
    path = fleet / "lab-north" / "group_vars" / "all" / "rendered.yml"
    path.write_text(f"linux_baseline_operator_group: !vault |\n{vaulted}")
    message = refusal(fleet)
    assert message.startswith(f"{path}: linux_baseline_operator_group: "), message
    assert "lz-operators *" not in message


def test_a_template_is_left_to_the_encoder_on_the_host(fleet):
    group_vars(fleet, {"linux_baseline_operator_group": "{{ lab_operator_group }}"})
    check_inventory(fleet / "lab-north", PASSWORD)
