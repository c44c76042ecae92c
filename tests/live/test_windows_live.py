"""The Windows baseline against a real Windows host: the only test that proves what PowerShell
does with the rendered script (everything else runs against a mock host, see tests/unit/windows).

Configured through the environment, skipped otherwise:

    LANDINGZONE_WINDOWS_HOST      name or address (must match the listener's certificate)
    LANDINGZONE_WINDOWS_USER      e.g. GEMEENTE\\svc-landingzone or svc@GEMEENTE.EXAMPLE
    LANDINGZONE_WINDOWS_PASSWORD
    LANDINGZONE_WINDOWS_CA        PEM file of the CA that issued the listener's certificate
    LANDINGZONE_WINDOWS_TRANSPORT ntlm (default), kerberos or credssp
    LANDINGZONE_WINDOWS_NETWORKS  management CIDRs, comma separated (default: 10.0.0.0/8)
    LANDINGZONE_WINDOWS_IDENTITY  entra (default), ad or hybrid: windows_baseline_identity
    LANDINGZONE_WINDOWS_MANAGEMENT_ACCOUNT  windows_baseline_management_account (default: the user)
    LANDINGZONE_WINDOWS_APPLY     yes: also apply twice and check the second apply changes nothing,
                                  and that secedit reads back every user right holder it wrote

The audit always runs first and must give one result per control without script errors. The
apply changes the host: give it a disposable test VM only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = Path(__file__).resolve().parent / "playbooks" / "windows_baseline.yml"
REQUIRED = (
    "LANDINGZONE_WINDOWS_HOST",
    "LANDINGZONE_WINDOWS_USER",
    "LANDINGZONE_WINDOWS_PASSWORD",
    "LANDINGZONE_WINDOWS_CA",
)
MISSING = [name for name in REQUIRED if not os.environ.get(name)]

pytestmark = [
    pytest.mark.windows_live,
    pytest.mark.ci_may_skip,
    pytest.mark.skipif(bool(MISSING), reason=f"no Windows host configured ({', '.join(MISSING)} not set)"),
]


@pytest.fixture
def inventory(tmp_path):
    host = {
        "ansible_host": os.environ.get("LANDINGZONE_WINDOWS_HOST"),
        "ansible_connection": "winrm",
        "ansible_port": 5986,
        "ansible_winrm_scheme": "https",
        "ansible_winrm_server_cert_validation": "validate",
        "ansible_winrm_ca_trust_path": os.environ.get("LANDINGZONE_WINDOWS_CA"),
        "ansible_winrm_transport": os.environ.get("LANDINGZONE_WINDOWS_TRANSPORT", "ntlm"),
        "ansible_user": os.environ.get("LANDINGZONE_WINDOWS_USER"),
        "ansible_winrm_read_timeout_sec": 900,
        "ansible_winrm_operation_timeout_sec": 890,
        "windows_baseline_management_networks": os.environ.get("LANDINGZONE_WINDOWS_NETWORKS", "10.0.0.0/8").split(","),
        "windows_baseline_identity": os.environ.get("LANDINGZONE_WINDOWS_IDENTITY", "entra"),
        "windows_baseline_management_account": os.environ.get(
            "LANDINGZONE_WINDOWS_MANAGEMENT_ACCOUNT", os.environ.get("LANDINGZONE_WINDOWS_USER", "")
        ),
    }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"windows_live": {"hosts": {"windows-live": host}}}), encoding="utf-8")
    # The password goes through a file only the test user can read, never on a command line.
    secrets = tmp_path / "secrets.yml"
    secrets.touch(mode=0o600)
    secrets.write_text(
        yaml.safe_dump({"ansible_password": os.environ.get("LANDINGZONE_WINDOWS_PASSWORD")}), encoding="utf-8"
    )
    return path, secrets


def run_playbook(inventory, tmp_path, playbook, *extra):
    """The plays of one ansible-playbook run, as the json callback reports them."""
    hosts, secrets = inventory
    command = [
        str(Path(sys.executable).with_name("ansible-playbook")), "-i", str(hosts), "-e", f"@{secrets}", *extra,
        str(playbook),
    ]  # fmt: skip
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    completed = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=3600, check=False
    )
    (tmp_path / f"{playbook.stem}-{len(list(tmp_path.glob('*.json')))}.json").write_text(completed.stdout, "utf-8")
    return json.JSONDecoder().raw_decode(completed.stdout[completed.stdout.index("\n{") + 1 :])[0]["plays"]


def run_baseline(inventory, tmp_path, mode, check=False):
    plays = run_playbook(
        inventory, tmp_path, PLAYBOOK, "-e", f"windows_baseline_mode={mode}", *(["--check"] if check else [])
    )
    engine = next(
        task["hosts"]["windows-live"]
        for play in plays
        for task in play["tasks"]
        if task["task"]["name"].split(" : ")[-1].startswith("Check and enforce the Windows baseline")
    )
    return engine


def assert_one_result_per_control_without_script_errors(engine):
    assert engine.get("results"), engine.get("msg")
    ids = [record["id"] for record in engine["results"]]
    assert len(ids) == len(set(ids)) == engine["summary"]["total"]
    broken = [
        r
        for r in engine["results"]
        if r["status"] == "error" and ("no result" in r["reason"] or "unreadable" in r["reason"])
    ]
    assert not broken, broken[:5]
    assert engine["engine"]["module_executions"] == 1


def test_audit_reports_every_control(inventory, tmp_path):
    engine = run_baseline(inventory, tmp_path, "audit")
    assert_one_result_per_control_without_script_errors(engine)
    assert engine["changed"] is False
    # Every registry value the host holds is reported with its type.
    held = [r for r in engine["results"] if r["type"] == "registry_value" and r["evidence"].get("found") is not None]
    assert held and all(r["evidence"].get("value_type", "").startswith("REG_") for r in held), held[:3]


def test_check_mode_sends_the_audit_script_and_reports_every_control(inventory, tmp_path):
    engine = run_baseline(inventory, tmp_path, "apply", check=True)
    assert_one_result_per_control_without_script_errors(engine)
    assert engine["engine"]["mode"] == "audit (check mode)"
    assert not [r["id"] for r in engine["results"] if r["status"] == "fixed"]


@pytest.mark.skipif(os.environ.get("LANDINGZONE_WINDOWS_APPLY") != "yes", reason="LANDINGZONE_WINDOWS_APPLY is not yes")
def test_apply_then_a_second_apply_changes_nothing(inventory, tmp_path):
    first = run_baseline(inventory, tmp_path, "apply")
    assert_one_result_per_control_without_script_errors(first)
    second = run_baseline(inventory, tmp_path, "apply")
    assert second["changed"] is False, [r["id"] for r in second["results"] if r["changed"]]
    management = {r["id"]: r["status"] for r in second["results"] if r["id"].startswith("LZW-MGT-")}
    assert set(management.values()) <= {"pass"}, management
    # secedit reads back every holder written: '*' + SID or a bare name, never '*' + a name ('*Gast').
    plays = run_playbook(inventory, tmp_path, PLAYBOOK.with_name("user_rights_export.yml"))
    lines = plays[0]["tasks"][0]["hosts"]["windows-live"]["output"]
    assert any(line.startswith("SeDenyNetworkLogonRight = ") for line in lines), lines
    for line in lines:
        right, holders = line.split(" = ", 1)
        for holder in holders.split(","):
            assert not holder.startswith("*") or re.fullmatch(r"\*S-1-\d+(-\d+)+", holder), (right, holder)
    deny_network = dict(line.split(" = ", 1) for line in lines)["SeDenyNetworkLogonRight"].split(",")
    assert "*S-1-5-32-546" in deny_network
