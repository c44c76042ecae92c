"""restic_arrival_status's record says what it amounts to: pass, fail or error, from the same facts
as its RPO judgment. Run as Ansible runs it, on arrival indexes the keeper's own functions wrote."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _restic_arrivals as arrivals
from restic_harness import run_module


def index_with_one_arrival(index_dir, minutes_ago: int, last_check_ok: bool | None = None) -> None:
    now = datetime.datetime.now(datetime.UTC)
    arrived = now - datetime.timedelta(minutes=minutes_ago)
    index = arrivals.new_index("app1")
    sid = "a" * 64
    arrivals.record_arrivals(index, {sid: arrived}, arrived)
    snapshot = {"time": arrived, "hostname": "app1", "paths": ["/srv"]}
    arrivals.describe(index["snapshots"][sid], snapshot, {"files": 10, "size_bytes": 1000})
    arrivals.judge_new(index, [sid], {"max_skew_minutes": 360, "max_shrink_percent": 50})
    if last_check_ok is not None:
        arrivals.record_check(index, now, "read-data-subset 1/10", last_check_ok, "checked", [], [])
    arrivals.save_index(str(index_dir / "app1.json"), index)


def record_of(index_dir, rpo_minutes=60) -> dict:
    result, _ = run_module("restic_arrival_status", client="app1", rpo_minutes=rpo_minutes, index_dir=str(index_dir))
    assert result["landingzone_evidence"]["section"] == "backup"
    return result["landingzone_evidence"]["record"]


@pytest.mark.parametrize(
    ("minutes_ago", "last_check_ok", "verdict"),
    [(10, None, "pass"), (10, True, "pass"), (180, None, "fail"), (10, False, "fail")],
)
def test_the_verdict_follows_the_rpo_and_the_servers_last_check(tmp_path, minutes_ago, last_check_ok, verdict):
    index_with_one_arrival(tmp_path, minutes_ago, last_check_ok)
    record = record_of(tmp_path)
    assert record["verdict"] == verdict
    assert record["rpo_met"] is (minutes_ago <= 60)


def test_an_absent_or_unreadable_index_is_an_error(tmp_path):
    absent = record_of(tmp_path)
    assert absent["verdict"] == "error" and absent["error"]["kind"] == "absent"
    (tmp_path / "app1.json").write_text("{not json")
    unreadable = record_of(tmp_path)
    assert unreadable["verdict"] == "error" and unreadable["error"]["kind"] == "unreadable"
