"""A compromised client against the backup server, for real: restic 0.14 through rclone's
append-only REST server on loopback, then the server's keeper (index, retention) on the same
repositories, and every genuine snapshot restored byte for byte through the REST server.

The client holds its repository password and its REST credentials, as ransomware on it would.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _restic_arrivals as arrivals
from keeper_harness import BackupServer
from restic_harness import PASSWORD, run_module

CLIENTS = {
    "app1": {"rest": "app1-rest-Secret-1", "repository": PASSWORD},
    "app2": {"rest": "app2-rest-Secret-2", "repository": PASSWORD},
}
# The card's defaults but for the minimum hold, so that the hold is not what saves the genuine snapshots.
RETENTION = dict(arrivals.DEFAULT_RETENTION, min_hold_days=1)
NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
# Noon of three days in a row, the last at least 25 hours ago (past the one-day hold): a backup made
# minutes after one of them falls on the same UTC day (daily slots are UTC days) at any hour the
# tests run. Counted back from now instead, the last two fell on one day between 00:00 and 01:00.
_HELD_UNTIL = NOW - datetime.timedelta(hours=25)
_LAST_NOON = _HELD_UNTIL.replace(hour=12, minute=0, second=0) - datetime.timedelta(days=_HELD_UNTIL.hour < 12)
GENUINE_ARRIVALS = [_LAST_NOON - datetime.timedelta(days=days) for days in (2, 1, 0)]


def stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def write_data(directory: Path, generation: int) -> dict:
    """Files a genuine backup holds, different in every generation; {relative path: bytes}."""
    shutil.rmtree(directory, ignore_errors=True)
    content = {}
    for number in range(12):
        relative = f"records/{number // 4}/file-{number}.bin"
        data = hashlib.sha256(f"{generation}-{number}".encode()).digest() * (200 + 50 * number)
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_bytes(data)
        content[relative] = data
    return content


def assert_restores_byte_for_byte(server, snapshot_id, source: Path, expected: dict, scratch: Path):
    target = server.restore("app1", snapshot_id, scratch / snapshot_id[:8])
    restored_root = target / source.relative_to("/")
    found = {str(p.relative_to(restored_root)): p.read_bytes() for p in restored_root.rglob("*") if p.is_file()}
    assert found == expected, f"snapshot {snapshot_id[:8]} does not restore what it backed up"


def genuine_history(server, tmp_path):
    """Three genuine snapshots of app1, arrived on three days; [(id, content)]."""
    data = tmp_path / "data"
    history = []
    for generation, arrival in enumerate(GENUINE_ARRIVALS):
        content = write_data(data, generation)
        snapshot_id = server.backup("app1", data, "--time", stamp(arrival - datetime.timedelta(minutes=2)))
        server.arrive("app1", snapshot_id, arrival)
        history.append((snapshot_id, content))
    return data, history


@pytest.fixture
def server(tmp_path, template_repository):
    backup_server = BackupServer(tmp_path / "server", CLIENTS, template_repository, retention=RETENTION)
    backup_server.start()
    yield backup_server
    backup_server.stop()


def judged(server, rpo_minutes=60):
    result, _ = run_module(
        "restic_arrival_status", client="app1", rpo_minutes=rpo_minutes, index_dir=str(server.index_dir)
    )
    return result


def client_view(server):
    result, raw = run_module(
        "restic_snapshot_status", repository=server.url("app1"), password=PASSWORD, host="app1", rpo_minutes=60
    )
    assert CLIENTS["app1"]["rest"] not in raw
    return result


def flood_then_retention(server, tmp_path, times, directory=None):
    """The client backs up an empty directory once per claimed time; then the server's retention runs."""
    empty = directory or tmp_path / "empty"
    empty.mkdir(exist_ok=True)
    forged = [server.backup("app1", empty, "--time", stamp(claimed)) for claimed in times]
    retention = server.keeper("retention")
    return forged, retention


def assert_after_the_flood(server, tmp_path, data, history, forged, alerts, reason, newer=None):
    """Every forged snapshot flagged and kept, every genuine one kept and restorable, and the
    server's RPO judgment a breach that names the suspect snapshots newer than the last good one."""
    index = server.index("app1")
    for snapshot_id in forged:
        entry = index["snapshots"][snapshot_id]
        assert entry["suspect"] is True and entry["removed"] is None, entry
        assert any(reason in text for text in entry["reasons"]), entry["reasons"]
    # Each raised once, when the keeper first indexed it.
    assert alerts.count("ALERT suspect snapshot") == len(forged)
    for snapshot_id, content in history:
        assert index["snapshots"][snapshot_id]["removed"] is None
        assert_restores_byte_for_byte(server, snapshot_id, data, content, tmp_path / "restored")
    rpo = judged(server)
    assert rpo["rpo_met"] is False
    assert f"only suspect snapshots are newer ({newer or len(forged)})" in rpo["reason"]
    assert rpo["latest_good"]["id"] == history[-1][0][:8] and rpo["latest_good"]["suspect"] is False
    record = rpo["landingzone_evidence"]["record"]
    assert record["check"] == "server_rpo" and record["rpo_met"] is False and record["verdict"] == "fail"
    assert all(s["suspect"] for s in record["suspects_since_good"])


# ---- the floods ------------------------------------------------------------------------------------
def test_a_future_dated_flood_is_flagged_kept_and_never_displaces_a_genuine_snapshot(server, tmp_path):
    data, history = genuine_history(server, tmp_path)
    # The attack is real: the old retention (by the client's time, grouped by host) would drop all three.
    # One forged snapshot a month for a year fills every slot of the card's default policy.
    future = [NOW + datetime.timedelta(days=31 * month) for month in range(1, 13)]
    empty = tmp_path / "empty"
    empty.mkdir()
    forged = [server.backup("app1", empty, "--time", stamp(claimed)) for claimed in future]
    local = {"RESTIC_REPOSITORY": str(server.root / "app1"), "RESTIC_PASSWORD": PASSWORD}
    old_policy = server.client(
        "app1", "forget", "--dry-run", "--json", "--group-by", "host", "--keep-daily", "7", "--keep-weekly", "4",
        "--keep-monthly", "12", "--keep-yearly", "1", **local,
    )  # fmt: skip
    dropped = {s["id"] for group in json.loads(old_policy.stdout) for s in group["remove"] or []}
    assert {snapshot_id for snapshot_id, _ in history} <= dropped
    retention = server.keeper("retention")
    assert_after_the_flood(server, tmp_path, data, history, forged, retention.stderr, "in the future of its arrival")
    # The client's own view is fooled into a negative age, which it no longer takes for a met RPO.
    view = client_view(server)
    assert view["age_minutes"] < 0 and view["rpo_met"] is False and "in the future" in view["msg"]


def test_a_back_dated_flood_is_flagged_and_kept(server, tmp_path):
    data, history = genuine_history(server, tmp_path)
    past = [NOW - datetime.timedelta(days=30 * month) for month in range(1, 8)]
    forged, retention = flood_then_retention(server, tmp_path, past)
    assert_after_the_flood(server, tmp_path, data, history, forged, retention.stderr, "before its arrival")


def test_an_honest_time_flood_of_empty_backups_wins_no_daily_slot(server, tmp_path):
    data, empty = tmp_path / "data", tmp_path / "empty"
    empty.mkdir()
    history, forged = [], []
    for generation, arrival in enumerate(GENUINE_ARRIVALS):
        content = write_data(data, generation)
        genuine = server.backup("app1", data, "--time", stamp(arrival - datetime.timedelta(minutes=2)))
        server.arrive("app1", genuine, arrival)
        history.append((genuine, content))
        # Right after each genuine backup, an empty one of the same paths with an honest time.
        flood = server.backup("app1", empty, "--time", stamp(arrival + datetime.timedelta(minutes=3)))
        server.arrive("app1", flood, arrival + datetime.timedelta(minutes=5))
        forged.append(flood)
    dry_run = server.keeper("retention", "--dry-run")
    plan = json.loads(dry_run.stdout)
    slots = {sid for sid, reasons in plan["app1"]["keep"].items() if any(r.startswith("daily slot") for r in reasons)}
    assert slots >= {history[0][0], history[1][0]} and not slots & set(forged)
    retention = server.keeper("retention")
    alerts = dry_run.stderr + retention.stderr
    # The last flood is the only snapshot newer than the last genuine one.
    assert_after_the_flood(server, tmp_path, data, history, forged, alerts, "the last good snapshot before it", newer=1)


# ---- the server's retention itself --------------------------------------------------------------------
def test_retention_forgets_by_arrival_prunes_and_what_it_keeps_restores(server, tmp_path):
    server.configure(retention={"keep_daily": 2, "keep_weekly": 0, "keep_monthly": 0, "keep_yearly": 0,
                                "keep_last_good": 1, "min_hold_days": 1})  # fmt: skip
    data = tmp_path / "data"
    made = []
    for day in range(5, 0, -1):
        arrival = NOW - datetime.timedelta(days=day)
        content = write_data(data, day)
        snapshot_id = server.backup("app1", data, "--time", stamp(arrival - datetime.timedelta(minutes=1)))
        server.arrive("app1", snapshot_id, arrival)
        made.append((snapshot_id, content))
    server.keeper("retention")
    index = server.index("app1")
    kept = [sid for sid, _ in made if index["snapshots"][sid]["removed"] is None]
    assert kept == [made[-2][0], made[-1][0]]
    assert all(index["snapshots"][sid]["removed"]["by"] == "retention" for sid, _ in made[:3])
    listed = {s["id"] for s in json.loads(server.client("app1", "snapshots", "--json").stdout)}
    assert listed == set(kept)
    server.client("app1", "check", "--read-data")
    for snapshot_id, content in made[-2:]:
        assert_restores_byte_for_byte(server, snapshot_id, data, content, tmp_path / "restored")
    # A second run has nothing more to forget: retention is idempotent.
    assert "forgot 0" in server.keeper("retention").stdout


# ---- the client attacks the server directly -------------------------------------------------------------
def http(server, method, path, body=None, user="app1", password=None):
    """The HTTP status the REST server answers the client ``user`` with."""
    password = CLIENTS[user]["rest"] if password is None else password
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", data=body, method=method)
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def one_file(server, kind):
    return next(p for p in sorted((server.root / "app1" / kind).rglob("*")) if p.is_file()).name


def test_a_client_with_its_rest_credentials_cannot_delete_or_overwrite_anything(server, tmp_path):
    data, history = genuine_history(server, tmp_path)
    before = sorted(str(p.relative_to(server.root)) for p in server.root.rglob("*") if p.is_file())
    garbage = b"garbage that replaces the file"
    names = {kind: one_file(server, kind) for kind in ("keys", "index", "snapshots", "data")}
    refused = {}
    for kind, name in names.items():
        refused[f"DELETE {kind}"] = http(server, "DELETE", f"/app1/{kind}/{name}")
        refused[f"overwrite {kind}"] = http(server, "POST", f"/app1/{kind}/{name}", garbage)
    refused["DELETE config"] = http(server, "DELETE", "/app1/config")
    refused["overwrite config"] = http(server, "POST", "/app1/config", garbage)
    assert set(refused.values()) == {403}, refused
    # Its neighbours: another client's repository, and the way out of its own.
    assert http(server, "GET", "/app2/config") in (401, 403, 404)
    assert http(server, "POST", "/app2/snapshots/" + "0" * 64, garbage) in (401, 403, 404)
    # A path with ../ is answered with a redirect to its clean form, which is refused in turn.
    assert http(server, "DELETE", "/app1/../app2/config") in (301, 401, 403, 404)
    assert http(server, "DELETE", "/app1/snapshots/..%2f..%2fapp2%2fconfig") in (301, 400, 401, 403, 404)
    # restic's own ways. Refused, restic retries its deletes for most of a minute before it gives up
    # (molecule/backup lets it); here it is stopped after its first attempts.
    with pytest.raises(subprocess.TimeoutExpired):
        server.client("app1", "forget", "--keep-last", "1", "--prune", check=False, timeout=8)
    server.client("app1", "unlock")
    server.client("app1", "prune", check=False)
    after = sorted(
        str(p.relative_to(server.root)) for p in server.root.rglob("*") if p.is_file() and "locks" not in p.parts
    )
    assert after == [path for path in before if "/locks/" not in path]
    server.keeper("index")
    for snapshot_id, content in history:
        assert_restores_byte_for_byte(server, snapshot_id, data, content, tmp_path / "restored")


def test_a_garbage_snapshot_file_is_indexed_never_counted_and_never_blocks_the_others(server, tmp_path):
    data, history = genuine_history(server, tmp_path)
    garbage = b"not a restic snapshot"
    garbage_id = hashlib.sha256(garbage).hexdigest()
    assert http(server, "POST", f"/app1/snapshots/{garbage_id}", garbage) == 200
    # restic's own choice of a parent now fails (the agent names its parent: test_agent_parent.py).
    server.backup("app1", data, "--parent", history[-1][0])
    server.keeper("index")
    entry = server.index("app1")["snapshots"][garbage_id]
    assert entry["measured"] is False and entry["suspect"] is False  # pending: suspect after an hour unread
    judgment = judged(server)
    assert judgment["rpo_met"] is True and judgment["landingzone_evidence"]["record"]["verdict"] == "pass"
    plan = json.loads(server.keeper("retention", "--dry-run").stdout)
    assert plan["app1"]["keep"][garbage_id][0] == "not measured yet"


def test_a_snapshot_deleted_behind_the_rest_servers_back_raises_an_alert(server, tmp_path):
    _, history = genuine_history(server, tmp_path)
    server.keeper("index")
    # What only the REST server's own account could do, once rclone itself is compromised.
    (server.root / "app1" / "snapshots" / history[0][0]).unlink()
    done = server.keeper("index")
    assert (
        f"ALERT snapshot {history[0][0][:8]} of app1 vanished from its repository outside the retention" in done.stderr
    )
    assert server.index("app1")["snapshots"][history[0][0]]["removed"]["by"] == "outside retention"


def test_the_index_needs_the_servers_clock_not_the_clients(server, tmp_path):
    data = tmp_path / "data"
    write_data(data, 1)
    snapshot_id = server.backup("app1", data, "--time", "2031-01-01 00:00:00")
    arrived = datetime.datetime.fromtimestamp(
        (server.root / "app1" / "snapshots" / snapshot_id).stat().st_mtime, datetime.UTC
    )
    assert abs((arrived - datetime.datetime.now(datetime.UTC)).total_seconds()) < 120
    server.keeper("index")
    entry = server.index("app1")["snapshots"][snapshot_id]
    assert entry["time"].startswith("2031-01-01") and entry["arrival"][:16] == arrived.isoformat()[:16]
    assert entry["files"] == 12 and entry["size_bytes"] == sum(len(v) for v in write_data(data, 1).values())
