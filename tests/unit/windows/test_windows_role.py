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
    completed = subprocess.run(
        [str(__import__("pathlib").Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,",
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
    ],
)
def test_bad_switches_stop_the_play_on_the_controller(tmp_path, extra_vars, task, message):
    returncode, failed = run_role(tmp_path, extra_vars)
    assert returncode != 0
    assert [name.split(" : ")[-1] for name, _ in failed] == [task]
    assert message in failed[0][1]["msg"]
