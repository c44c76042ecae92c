"""restic_snapshot_status: the latest snapshot, its age against the RPO, and evidence without secrets."""

import datetime
import json

from restic_harness import PASSWORD, restic, run_module


def backup_at(repository, data, when, host="app1"):
    stamp = when.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    # restic reads --time in the local zone; TZ=UTC makes the stamp mean what it says.
    restic(repository, "backup", "--host", host, "--time", stamp, str(data))


def data_dir(tmp_path):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "a.txt").write_text("citizen record\n")
    return data


def status(repository, **args):
    return run_module("restic_snapshot_status", repository=str(repository), password=PASSWORD, **args)


def test_recent_snapshot_meets_the_rpo(repository, tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    backup_at(repository, data_dir(tmp_path), datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10))
    result, _ = status(repository, host="app1", rpo_minutes=60, measure_size=True)
    assert result["failed"] is False and result["changed"] is False
    assert result["rpo_met"] is True
    assert 9 <= result["age_minutes"] <= 12
    assert result["snapshot_count"] == 1
    assert result["latest"]["size_bytes"] == len("citizen record\n")
    record = result["landingzone_evidence"]
    assert record["section"] == "backup"
    assert record["record"]["rpo_met"] is True and record["record"]["latest"]["id"] == result["latest"]["id"]
    assert record["record"]["verdict"] == "pass"


def test_old_snapshot_misses_the_rpo_and_fails_only_when_asked(repository, tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    backup_at(repository, data_dir(tmp_path), datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=3))
    reported, _ = status(repository, host="app1", rpo_minutes=60)
    assert reported["failed"] is False and reported["rpo_met"] is False
    assert "NOT met" in reported["msg"]
    assert reported["landingzone_evidence"]["record"]["verdict"] == "fail"
    failing, _ = status(repository, host="app1", rpo_minutes=60, fail_when_rpo_missed=True)
    assert failing["failed"] is True


def test_only_the_named_host_counts(repository, tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    now = datetime.datetime.now(datetime.UTC)
    backup_at(repository, data_dir(tmp_path), now - datetime.timedelta(minutes=5), host="app2")
    backup_at(repository, data_dir(tmp_path), now - datetime.timedelta(days=2), host="app1")
    result, _ = status(repository, host="app1", rpo_minutes=1440)
    assert result["rpo_met"] is False and result["latest"]["hostname"] == "app1"


def test_empty_repository_has_no_snapshot(repository):
    result, _ = status(repository, host="app1", rpo_minutes=60)
    assert result["rpo_met"] is False and result["latest"] is None and result["error"] is None
    assert "no snapshot" in result["msg"]


def test_unreadable_repository_is_a_reported_breach_without_secrets(repository, tmp_path):
    fact = tmp_path / "backup.fact"
    fact.write_text(json.dumps({"last_run": {"status": "failed", "error": "server down"}}))
    result, raw = run_module(
        "restic_snapshot_status",
        repository=str(repository),
        password="wrong-password-123",
        host="app1",
        rpo_minutes=60,
        fact_file=str(fact),
    )
    assert result["failed"] is False and result["rpo_met"] is False
    assert result["error"]["kind"] == "wrong_password"
    assert result["last_run"]["status"] == "failed"
    assert result["landingzone_evidence"]["record"]["last_run"]["error"] == "server down"
    assert result["last_run_ok"] is False and result["landingzone_evidence"]["record"]["last_run_ok"] is False
    assert result["landingzone_evidence"]["record"]["verdict"] == "error"
    assert "wrong-password-123" not in raw


def test_a_failed_run_is_reported_while_the_snapshot_still_meets_the_rpo(repository, tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    backup_at(repository, data_dir(tmp_path), datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5))
    fact = tmp_path / "backup.fact"
    fact.write_text(json.dumps({"last_run": {"status": "failed", "error": "wrong password"}}))
    failed, _ = status(repository, host="app1", rpo_minutes=60, fact_file=str(fact))
    assert failed["rpo_met"] is True and failed["last_run_ok"] is False
    assert failed["msg"].endswith("the last backup run failed: wrong password")
    # Within the RPO, yet the last run failed: the record needs attention.
    assert failed["landingzone_evidence"]["record"]["verdict"] == "fail"
    fact.write_text(json.dumps({"last_run": {"status": "ok"}}))
    good, _ = status(repository, host="app1", rpo_minutes=60, fact_file=str(fact))
    assert good["last_run_ok"] is True and "failed" not in good["msg"]
    assert good["landingzone_evidence"]["record"]["verdict"] == "pass"
    without_fact, _ = status(repository, host="app1", rpo_minutes=60)
    assert without_fact["last_run_ok"] is None
