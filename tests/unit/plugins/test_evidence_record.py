"""evidence_record run by real Ansible on the controller: what it returns is what the CLI collects."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(args: dict) -> tuple[str, dict]:
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    command = [
        "ansible",
        "localhost",
        "-c",
        "local",
        "-i",
        "localhost,",
        "-m",
        "cyberveilig.landingzone.evidence_record",
    ]
    completed = subprocess.run(
        [*command, "-a", json.dumps(args)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Ad-hoc output: "localhost | SUCCESS => {...}" (FAILED! on failure)
    state, _, payload = completed.stdout.partition(" => ")
    return state.split("|")[-1].strip().rstrip("!"), json.loads(payload)


def test_a_record_comes_back_as_landingzone_evidence():
    state, result = _run(
        {"section": "drill", "record": {"service": "register", "achieved_seconds": 95, "rto_met": True}}
    )
    assert state == "SUCCESS"
    assert result["changed"] is False
    record = {"service": "register", "achieved_seconds": 95, "rto_met": True}
    assert result["landingzone_evidence"] == {"section": "drill", "record": record}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"section": "mail", "record": {}}, "section: 'mail' is not one of backup, drill, vpn"),
        ({"section": "vpn", "record": "up"}, "record: must be a mapping"),
    ],
)
def test_a_bad_section_or_record_fails_naming_the_option(args, message):
    state, result = _run(args)
    assert state == "FAILED"
    assert message in result["msg"]
    assert "landingzone_evidence" not in result
