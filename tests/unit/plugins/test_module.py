"""The module as Ansible runs it: a process reading its arguments on stdin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible_collections.cyberveilig.landingzone.plugins.filter.controls import select_controls

REPO = Path(__file__).resolve().parents[3]
MODULE = REPO / "plugins" / "modules" / "linux_controls.py"
LOGIN_DEFS = {
    "id": "LZ-ACC-001",
    "title": "passwords expire",
    "type": "config_key",
    "level": "basic",
    "risk": "low",
    "applies_to": ["server"],
    "params": {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365},
}


def run_module(tmp_path, check_mode=False, **args):
    args = {
        "root": str(tmp_path),
        "host_kind": "server",
        "_ansible_check_mode": check_mode,
        "_ansible_diff": True,
        **args,
    }
    completed = subprocess.run(
        [sys.executable, str(MODULE)],
        input=json.dumps({"ANSIBLE_MODULE_ARGS": args}),
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "collections"), "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=60,
    )
    return json.loads(completed.stdout), completed.stdout


@pytest.fixture
def root(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "login.defs").write_text("PASS_MAX_DAYS 99999\n")
    return tmp_path


def test_check_mode_predicts_and_writes_nothing(root):
    result, _ = run_module(root, check_mode=True, mode="apply", controls=[LOGIN_DEFS])

    assert result["changed"] is True and result["failed"] is False
    assert result["results"][0]["status"] == "fail"
    assert result["diff"][0]["after"] == "PASS_MAX_DAYS 365\n"
    assert (root / "etc" / "login.defs").read_text() == "PASS_MAX_DAYS 99999\n"


def test_apply_fixes_and_keeps_a_dated_copy(root):
    result, _ = run_module(root, mode="apply", controls=[LOGIN_DEFS], run_id="run-7")

    assert result["results"][0]["status"] == "fixed"
    assert (root / "etc" / "login.defs").read_text() == "PASS_MAX_DAYS 365\n"
    copy = root / "var/backups/landingzone/run-7/etc/login.defs"
    assert copy.read_text() == "PASS_MAX_DAYS 99999\n"

    undone, _ = run_module(root, mode="rollback", rollback_run="run-7")
    assert undone["failed"] is False and undone["changed"] is True
    assert (root / "etc" / "login.defs").read_text() == "PASS_MAX_DAYS 99999\n"


def test_invalid_catalog_fails_naming_the_control(root):
    broken = dict(LOGIN_DEFS, params={"path": "/etc/login.defs", "key": "PASS_MAX_DAYS"})
    result, _ = run_module(root, mode="apply", controls=[broken])

    assert result["failed"] is True
    assert result["msg"] == "control LZ-ACC-001: params.value: is required"


def test_rollback_of_an_unknown_run_fails(root):
    result, _ = run_module(root, mode="rollback", rollback_run="never-ran")
    assert result["failed"] is True and "never-ran" in result["msg"]


def test_secret_params_are_merged_but_never_printed(root):
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    (root / "etc" / "shadow").write_text("root:*:19000:0:99999:7:::\nbg:$6$s$TOPSECRET:19000:0:99999:7:::\n")
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\nbg:x:1001:0::/home/bg:/bin/bash\n")
    account = dict(LOGIN_DEFS, id="LZ-ACC-009", type="local_account", params={"name": "bg", "shell": "/bin/bash"})

    result, raw = run_module(
        root,
        mode="audit",
        controls=[account],
        secret_params={"LZ-ACC-009": {"password_hash": "$6$s$TOPSECRET"}},
        _ansible_verbosity=4,
    )

    assert result["results"][0]["status"] == "pass"  # the hash from secret_params was compared
    assert "TOPSECRET" not in raw


def test_results_carry_every_reference_and_the_edition_of_their_level(root):
    """From the catalog through the filter to the module's result, as the role runs it under CyFun 2025."""
    accounts = yaml.safe_load((REPO / "roles" / "linux_baseline" / "controls" / "accounts.yml").read_text())
    control = next(c for c in accounts["accounts"] if c["id"] == "LZ-ACC-002")  # PASS_MIN_DAYS, no template
    (selected,) = select_controls({"accounts": [control]}, "basic", edition=2025)
    result, _ = run_module(root, check_mode=True, mode="audit", controls=[selected])

    (record,) = result["results"]
    assert record["level"] == control["level_2025"] and record["cyfun_edition"] == 2025
    for field in ("cyfun", "cyfun_2025", "cis", "cis_debian13"):
        assert record[field] == control[field], field
