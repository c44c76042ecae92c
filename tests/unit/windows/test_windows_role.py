"""The role through real ansible-playbook, up to the engine: the catalog is loaded and templated
by Ansible, the switches and the card's waivers (windows_baseline_waivers, as the CLI passes them)
reach the engine, and bad input stops the play before the host is touched. The target is
localhost with the local connection, which is never reached: every case here fails on the
controller, which is the point (no Windows host exists here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from windows_testdata import ROOT

GROUPS = ("virtual_pcs", "avd_session_hosts")


def run_role(tmp_path, extra_vars):
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "role",
                    "hosts": "all",
                    "gather_facts": False,
                    "roles": ["cyberveilig.landingzone.windows_baseline"],
                }
            ]
        ),
        encoding="utf-8",
    )
    variables = tmp_path / "vars.yml"
    variables.write_text(yaml.safe_dump(extra_vars), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    # localhost in two groups of a virtual PC inventory, so the card's identity per group applies.
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump({"all": {"children": {group: {"hosts": {"localhost": {}}} for group in GROUPS}}}),
        encoding="utf-8",
    )
    completed = subprocess.run(
        [str(__import__("pathlib").Path(sys.executable).with_name("ansible-playbook")), "-i", str(inventory),
         "-c", "local", "-e", f"@{variables}", str(playbook)],
        cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300, check=False,
    )  # fmt: skip
    tasks = json.JSONDecoder().raw_decode(completed.stdout[completed.stdout.index("\n{") + 1 :])[0]["plays"][0]["tasks"]
    failed = [(t["task"]["name"], t["hosts"]["localhost"]) for t in tasks if t["hosts"]["localhost"].get("failed")]
    return completed.returncode, failed


@pytest.mark.parametrize(
    ("extra_vars", "task", "message"),
    [
        (
            {"windows_baseline_management_networks": []},
            "Check and enforce the Windows baseline controls in one script",
            "windows_baseline_management_networks: needs at least one CIDR",
        ),
        (
            {"windows_baseline_disabled_controls": ["LZW-MGT-003"]},
            "Check and enforce the Windows baseline controls in one script",
            "windows_baseline_disabled_controls: LZW-MGT-003 keeps the management path open",
        ),
        (
            {
                "windows_baseline_waivers": [
                    {
                        "control": "LZW-MGT-001",
                        "hosts": "all",
                        "justification": "x",
                        "approver": "y",
                        "expires": "2099-01-01",
                        "compensating_measure": "z",
                    }
                ]
            },
            "Check and enforce the Windows baseline controls in one script",
            "windows_baseline_waivers: LZW-MGT-001 keeps the management path open",
        ),
        (
            {"windows_baseline_password_min_length": 8},
            "Check the policy values against the floor of the baseline",
            "windows_baseline_password_min_length >= 14",
        ),
        (
            # The card gives the host's two groups (virtual_pcs, avd_session_hosts) two identities.
            {
                "landingzone_identity": {
                    "default": "ad",
                    "groups": {"virtual_pcs": "entra", "avd_session_hosts": "hybrid"},
                }
            },
            "Check that the card gives this host one identity",
            "gives localhost more than one identity through its groups: hybrid, entra",
        ),
        (
            {"windows_baseline_identity": "entra", "windows_baseline_laps_backup_directory": "active_directory"},
            "Check that LAPS backs up to a directory the host has",
            "windows_baseline_laps_backup_directory is active_directory, but the host's identity is entra",
        ),
        (
            {
                "landingzone_identity": {"default": "hybrid", "groups": {"avd_session_hosts": "ad"}},
                "windows_baseline_laps_backup_directory": "entra_id",
            },
            "Check that LAPS backs up to a directory the host has",
            "windows_baseline_laps_backup_directory is entra_id, but the host's identity is ad",
        ),
        (
            {"windows_baseline_session_host": True},
            "Check the session-host settings",
            "needs windows_baseline_fslogix_vhd_locations, each an SMB path (two backslashes, server, share); got []",
        ),
        (
            {"windows_baseline_session_host": True, "windows_baseline_fslogix_vhd_locations": ["C:\\profiles"]},
            "Check the session-host settings",
            "got ['C:\\\\profiles']",
        ),
    ],
)
def test_bad_switches_stop_the_play_on_the_controller(tmp_path, extra_vars, task, message):
    returncode, failed = run_role(tmp_path, extra_vars)
    assert returncode != 0
    assert [name.split(" : ")[-1] for name, _ in failed] == [task]
    assert message in failed[0][1]["msg"]
