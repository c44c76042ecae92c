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


def test_a_record_comes_back_as_landingzone_evidence_with_its_verdict():
    record = {"service": "register", "achieved_seconds": 95, "rto_met": True}
    state, result = _run({"section": "drill", "record": record, "verdict": "pass"})
    assert state == "SUCCESS"
    assert result["changed"] is False
    assert result["landingzone_evidence"] == {"section": "drill", "record": {**record, "verdict": "pass"}}


def test_the_verdict_is_the_plays_whatever_the_fields_say():
    # A field name that once meant "bad" (rto_met false) decides nothing: the play's verdict is kept.
    state, result = _run({"section": "drill", "record": {"rto_met": False}, "verdict": "not_applicable"})
    assert state == "SUCCESS"
    assert result["landingzone_evidence"]["record"] == {"rto_met": False, "verdict": "not_applicable"}


def test_every_section_of_the_results_schema_is_accepted():
    state, result = _run({"section": "logs", "record": {"sender": "gem-app1"}, "verdict": "fail"})
    assert state == "SUCCESS"
    assert result["landingzone_evidence"]["section"] == "logs"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"section": "mail", "record": {}, "verdict": "pass"},
            "section: 'mail' is not one of backup, drill, vpn, logs",
        ),
        ({"section": "vpn", "record": "up", "verdict": "pass"}, "record: must be a mapping"),
        ({"section": "drill", "record": {"rto_met": True}}, "verdict: None is not one of pass, fail, error"),
        ({"section": "drill", "record": {}, "verdict": "ok"}, "verdict: 'ok' is not one of pass, fail, error"),
        ({"section": "drill", "record": {}, "verdict": "fixed"}, "verdict: 'fixed' is not one of"),
        (
            {"section": "drill", "record": {"verdict": "pass"}, "verdict": "fail"},
            "record: its field verdict 'pass' contradicts the verdict option 'fail'",
        ),
    ],
)
def test_a_bad_section_record_or_verdict_fails_naming_the_option(args, message):
    state, result = _run(args)
    assert state == "FAILED"
    assert message in result["msg"]
    assert "landingzone_evidence" not in result
