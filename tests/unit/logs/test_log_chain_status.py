"""log_chain_status, the audit's check, as Ansible runs it: one evidence record per sender, a broken
chain a finding of the run (exit code 1, counted in the report's Central logs section)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from evidence_samples import SampleRun
from log_storage import Storage, lift_flags

from landingzone.evidence import write_evidence
from landingzone.evidence.sections import record_is_bad
from landingzone.runner import exit_codes
from landingzone.runner.events import RunObserver
from landingzone.runner.job import RUN_KINDS, _exit_code

REPO = Path(__file__).resolve().parents[3]


def run_module(check_mode=False, **args) -> dict:
    completed = subprocess.run(
        [sys.executable, str(REPO / "plugins" / "modules" / "log_chain_status.py")],
        input=json.dumps({"ANSIBLE_MODULE_ARGS": {"_ansible_check_mode": check_mode, **args}}),
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "collections"), "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=60,
    )
    assert completed.stdout, completed.stderr
    return json.loads(completed.stdout)


@pytest.fixture
def storage():
    made = Storage()
    made.prepare("gem-app1", "gem-app2")
    for period in range(2):
        made.write("gem-app1", f"app1 {period}")
        made.write("gem-app2", f"app2 {period}")
        made.seal()
    yield made
    made.remove()


def test_a_whole_storage_gives_one_good_record_per_sender(storage):
    result = run_module(check_mode=True, storage_dir=str(storage.root), senders=["gem-app1", "gem-app2"])
    assert (result["changed"], result["failed"], result["chain_ok"]) == (False, False, True)
    records = result["landingzone_evidence"]["records"]
    assert result["landingzone_evidence"]["section"] == "logs"
    assert [record["sender"] for record in records] == ["gem-app1", "gem-app2"]
    assert all(record["sealed_files"] == 2 and not record_is_bad(record) for record in records)


def test_a_missing_sender_and_a_broken_chain_are_findings(storage, tmp_path):
    [oldest, _] = storage.sealed("gem-app1")
    lift_flags(oldest)
    oldest.write_text(oldest.read_text().replace("app1 0", "app1 O"))
    result = run_module(storage_dir=str(storage.root), senders=["gem-app1", "gem-app2", "gem-app3"])
    assert result["chain_ok"] is False
    records = {record["sender"]: record for record in result["landingzone_evidence"]["records"]}
    assert records["gem-app1"]["problems"][0].startswith(f"{oldest.name} was changed after it was sealed")
    assert records["gem-app3"]["problems"] == [f"{storage.root}/gem-app3 is missing: no log of this sender is kept"]
    assert not records["gem-app2"]["problems"]
    assert [records[s]["verdict"] for s in ("gem-app1", "gem-app2", "gem-app3")] == ["fail", "pass", "fail"]
    assert [record_is_bad(records[s]) for s in ("gem-app1", "gem-app2", "gem-app3")] == [True, False, True]

    # In the run: a non-compliant audit, and a report that counts the broken chains.
    observer = RunObserver("gemtest", ["gem-log1"], set())
    observer.handle(
        {
            "event": "runner_on_ok",
            "event_data": {
                "host": "gem-log1",
                "task_action": "cyberveilig.landingzone.log_chain_status",
                "res": result,
            },
        }
    )
    assert _exit_code(RUN_KINDS["audit"], observer) == exit_codes.NON_COMPLIANT
    sample = SampleRun()
    run = dict(sample.run(), logs=observer.sections["logs"])
    files = write_evidence(tmp_path / sample.ident, run, sample.results())
    assert json.loads(files["results"].read_text())["logs"]["gem-log1"][0]["sender"] == "gem-app1"
    assert "Central logs (2 need attention)" in files["report"].read_text()


def test_a_storage_that_is_not_there_fails_the_task(tmp_path):
    result = run_module(storage_dir=str(tmp_path / "nowhere"))
    assert result["failed"] is True and "storage_dir:" in result["msg"]
