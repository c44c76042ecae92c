"""The arrival index's judgments (module_utils/_restic_arrivals.py), on indexes built in memory:
suspect snapshots, retention by arrival, and the RPO as the backup server judges it."""

from __future__ import annotations

import datetime
import json

import pytest
import yaml
from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _restic_arrivals as arrivals
from restic_harness import REPO

NOW = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)
PATHS = ["/etc", "/srv"]
POLICY = {"max_skew_minutes": 360, "max_shrink_percent": 50}


def sid(number: int) -> str:
    return f"{number:064x}"


def add(index, number, arrival, claimed=None, files=1000, size=10_000_000, host="app1", paths=PATHS):
    """A snapshot that arrived at ``arrival``, measured, then judged as the keeper judges new ones."""
    arrivals.record_arrivals(index, {sid(number): arrival, **_on_disk(index)}, arrival)
    snapshot = {"time": claimed or arrival - datetime.timedelta(minutes=2), "hostname": host, "paths": paths}
    arrivals.describe(index["snapshots"][sid(number)], snapshot, {"files": files, "size_bytes": size})
    arrivals.judge_new(index, [sid(number)], POLICY)
    return index["snapshots"][sid(number)]


def _on_disk(index):
    return {s: arrivals.parse(e["arrival"]) for s, e in arrivals.present(index).items()}


def daily_history(days, start=NOW, hour=1):
    """One good snapshot a day for ``days`` days before ``start`` (number = days ago)."""
    index = arrivals.new_index("app1")
    for ago in range(days, 0, -1):
        add(index, ago, (start - datetime.timedelta(days=ago)).replace(hour=hour))
    return index


# ---- suspect ------------------------------------------------------------------------------------
def test_a_snapshot_dated_in_the_future_of_its_arrival_is_suspect():
    index = daily_history(3)
    forged = add(index, 100, NOW, claimed=NOW + datetime.timedelta(days=30), files=0, size=0)
    assert forged["suspect"] is True
    assert any("in the future of its arrival" in reason for reason in forged["reasons"])
    # A clock a few minutes fast is not an attack.
    honest = add(index, 101, NOW, claimed=NOW + datetime.timedelta(minutes=4))
    assert honest["suspect"] is False


def test_a_snapshot_dated_far_before_its_arrival_is_suspect_within_the_skew_it_is_not():
    index = daily_history(3)
    backdated = add(index, 100, NOW, claimed=NOW - datetime.timedelta(days=40))
    assert backdated["suspect"] is True and "before its arrival" in backdated["reasons"][0]
    long_run = add(index, 101, NOW, claimed=NOW - datetime.timedelta(hours=5))
    assert long_run["suspect"] is False


@pytest.mark.parametrize(
    ("files", "size", "suspect"),
    [(0, 0, True), (400, 10_000_000, True), (1000, 4_000_000, True), (600, 6_000_000, False), (2000, 1, True)],
)
def test_a_sharp_shrink_against_the_last_good_snapshot_is_suspect(files, size, suspect):
    index = daily_history(2)
    assert add(index, 100, NOW, files=files, size=size)["suspect"] is suspect


def test_an_empty_directory_backed_up_instead_of_the_hosts_paths_is_compared_with_the_host():
    index = daily_history(2)
    empty = add(index, 100, NOW, files=0, size=0, paths=["/tmp/empty"])
    assert empty["suspect"] is True and "the last good snapshot before it" in empty["reasons"][0]


def test_suspect_snapshots_are_never_the_reference_so_a_flood_stays_suspect():
    index = daily_history(2)
    for number in range(100, 110):
        assert add(index, number, NOW + datetime.timedelta(minutes=number), files=0, size=0)["suspect"] is True
    # The next genuine snapshot is compared with the last good one, not with the flood.
    assert add(index, 200, NOW + datetime.timedelta(hours=3))["suspect"] is False


def test_the_first_snapshot_of_a_host_has_nothing_to_shrink_against():
    index = arrivals.new_index("app1")
    assert add(index, 1, NOW, files=3, size=10)["suspect"] is False


def test_a_snapshot_that_cannot_be_measured_is_pending_then_suspect():
    index = arrivals.new_index("app1")
    arrivals.record_arrivals(index, {sid(1): NOW}, NOW)
    assert arrivals.judge_unmeasurable(index, NOW + datetime.timedelta(minutes=30), "garbage") == []
    assert arrivals.is_good(index["snapshots"][sid(1)]) is False
    assert arrivals.judge_unmeasurable(index, NOW + datetime.timedelta(hours=2), "garbage") == [sid(1)]
    assert "could not be read" in index["snapshots"][sid(1)]["reasons"][0]


def test_an_accepted_snapshot_counts_again():
    index = daily_history(2)
    add(index, 100, NOW, files=10, size=10)
    entry = arrivals.accept(index, sid(100), NOW, "operator", "the application moved its data elsewhere")
    assert arrivals.is_good(entry) and entry["accepted"]["by"] == "operator"
    with pytest.raises(KeyError):
        arrivals.accept(index, "0000", NOW, "operator", "ambiguous")


def test_a_vanished_snapshot_is_recorded_as_removed_outside_retention():
    index = daily_history(2)
    on_disk = _on_disk(index)
    gone = sorted(on_disk)[0]
    del on_disk[gone]
    new, vanished = arrivals.record_arrivals(index, on_disk, NOW)
    assert new == [] and vanished == [gone]
    assert index["snapshots"][gone]["removed"]["by"] == "outside retention"


# ---- retention ------------------------------------------------------------------------------------
def retention(**policy):
    return dict(
        {
            "keep_daily": 3,
            "keep_weekly": 0,
            "keep_monthly": 0,
            "keep_yearly": 0,
            "keep_last_good": 1,
            "min_hold_days": 1,
        },
        **policy,
    )


def test_retention_fills_its_slots_by_arrival_among_good_snapshots(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    index = daily_history(10)
    plan = arrivals.select_retention(index, retention(), NOW)
    assert sorted(plan["keep"]) == [sid(1), sid(2), sid(3)]
    assert "daily slot 2026-11-19" in plan["keep"][sid(1)]
    assert sorted(plan["forget"]) == sorted(sid(n) for n in range(4, 11))


def test_a_future_dated_flood_fills_no_slot_and_is_kept(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    index = daily_history(10)
    for number in range(100, 112):
        add(index, number, NOW, claimed=NOW + datetime.timedelta(days=number), files=0, size=0)
    plan = arrivals.select_retention(index, retention(), NOW)
    assert all(plan["keep"][sid(n)] == ["suspect: kept for review", "arrived within the minimum hold of 1 days"]
               for n in range(100, 112))  # fmt: skip
    assert {sid(1), sid(2), sid(3)} <= set(plan["keep"])
    assert sid(100) not in plan["forget"]


def test_an_honest_time_flood_after_each_genuine_snapshot_wins_no_daily_slot(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    index = arrivals.new_index("app1")
    for ago in range(10, 0, -1):
        genuine = (NOW - datetime.timedelta(days=ago)).replace(hour=1)
        add(index, ago, genuine)
        add(index, 100 + ago, genuine + datetime.timedelta(minutes=5), files=0, size=0)
    plan = arrivals.select_retention(index, retention(), NOW)
    daily = sorted(s for s, reasons in plan["keep"].items() if any(r.startswith("daily") for r in reasons))
    assert daily == [sid(1), sid(2), sid(3)]


def test_nothing_within_the_minimum_hold_is_forgotten(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    index = arrivals.new_index("app1")
    for hour in range(48):
        add(index, hour + 1, NOW - datetime.timedelta(hours=hour))
    plan = arrivals.select_retention(index, retention(keep_daily=1, min_hold_days=1), NOW)
    held = [s for s, e in index["snapshots"].items() if arrivals.parse(e["arrival"]) > NOW - datetime.timedelta(days=1)]
    assert len(held) == 24 and set(held) <= set(plan["keep"])
    # The one daily slot and the last good snapshot are today's, within the hold: the day before goes whole.
    assert sorted(plan["forget"]) == sorted(set(index["snapshots"]) - set(held))


def test_the_last_good_snapshots_are_kept_whatever_the_slots_say(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    index = arrivals.new_index("app1")
    for minute in range(5):
        add(index, minute + 1, NOW - datetime.timedelta(days=5, minutes=minute))
    plan = arrivals.select_retention(index, retention(keep_daily=1, keep_last_good=3), NOW)
    assert sorted(plan["keep"]) == [sid(1), sid(2), sid(3)]


def test_unreadable_and_unmeasured_snapshots_are_kept_and_fill_no_slot(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    index = daily_history(5)
    arrivals.record_check(index, NOW, "1/7", False, "pack damaged", ["ab" * 32], [sid(1)])
    arrivals.record_arrivals(index, {**_on_disk(index), sid(50): NOW - datetime.timedelta(days=4)}, NOW)
    plan = arrivals.select_retention(index, retention(keep_daily=2), NOW)
    assert plan["keep"][sid(1)] == ["unreadable: kept for repair"]
    assert plan["keep"][sid(50)] == ["not measured yet"]
    assert {sid(2), sid(3)} <= set(plan["keep"]) and sid(4) in plan["forget"]
    assert index["doubt"] is None  # the failure was pinned to a pack


def test_a_check_failure_without_packs_puts_the_repository_in_doubt_until_a_check_passes():
    index = daily_history(1)
    arrivals.record_check(index, NOW, "1/7", False, "LoadIndex returned errors", [], [])
    assert index["doubt"]["message"] == "LoadIndex returned errors"
    arrivals.record_check(index, NOW, "2/7", True, "no errors were found", [], [])
    assert index["doubt"] is None and len(index["checks"]) == 2


# ---- the RPO ------------------------------------------------------------------------------------------
def test_a_recent_good_snapshot_meets_the_rpo():
    index = daily_history(1)
    add(index, 100, NOW - datetime.timedelta(minutes=20))
    judged = arrivals.judge_rpo(index, "app1", 60, NOW)
    assert judged["rpo_met"] is True and judged["age_minutes"] == 20.0
    assert judged["latest_good"]["id"] == sid(100)[:8] and judged["latest_good"]["suspect"] is False
    assert judged["latest_good"]["claimed_time"] == "2026-11-20T11:38:00+00:00"


def test_only_suspect_snapshots_newer_than_an_old_good_one_is_a_breach():
    index = daily_history(2)
    for number in range(100, 103):
        add(index, number, NOW - datetime.timedelta(minutes=number - 99), claimed=NOW + datetime.timedelta(days=9))
    judged = arrivals.judge_rpo(index, "app1", 60, NOW)
    assert judged["rpo_met"] is False
    assert "only suspect snapshots are newer (3)" in judged["reason"]
    assert [s["suspect"] for s in judged["suspects_since_good"]] == [True] * 3


def test_a_snapshot_that_arrived_in_the_future_of_the_servers_clock_is_a_breach():
    index = daily_history(1)
    add(index, 100, NOW + datetime.timedelta(minutes=30))
    judged = arrivals.judge_rpo(index, "app1", 60, NOW)
    assert judged["rpo_met"] is False and "in the future of the server's clock" in judged["reason"]


def test_another_host_name_in_the_repository_never_meets_the_rpo():
    index = arrivals.new_index("app1")
    add(index, 1, NOW - datetime.timedelta(minutes=5), host="someone-else")
    judged = arrivals.judge_rpo(index, "app1", 60, NOW)
    assert judged["rpo_met"] is False and judged["latest_good"] is None


def test_a_repository_in_doubt_says_so_in_the_judgment():
    index = daily_history(1)
    arrivals.record_check(index, NOW, "1/7", False, "LoadIndex returned errors", [], [])
    assert arrivals.judge_rpo(index, "app1", 1440 * 2, NOW)["last_check_ok"] is False


# ---- the file -------------------------------------------------------------------------------------
def test_the_index_file_round_trips_and_a_broken_one_is_an_error_not_an_empty_index(tmp_path):
    index = daily_history(2)
    path = tmp_path / "app1.json"
    arrivals.save_index(path, index)
    assert arrivals.load_index(path, "app1") == json.loads(json.dumps(index))
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(arrivals.ArrivalIndexError, match="not of 'app2'"):
        arrivals.load_index(path, "app2")
    path.write_text("{half")
    with pytest.raises(arrivals.ArrivalIndexError, match="not a readable arrival index"):
        arrivals.load_index(path, "app1")
    assert arrivals.load_index(tmp_path / "none.json", "app1")["snapshots"] == {}


@pytest.mark.parametrize("name", ["../etc", "a/b", ".", "..", "-rf", "", "x\ny", "app 1"])
def test_names_that_would_leave_the_repository_root_are_not_client_names(name):
    assert arrivals.valid_client(name) is False


def test_the_roles_documented_defaults_are_the_keepers():
    spec = yaml.safe_load((REPO / "roles/backup_server/meta/argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    assert options["backup_server_retention"]["default"] == arrivals.DEFAULT_RETENTION
    assert options["backup_server_suspect"]["default"] == arrivals.DEFAULT_SUSPECT
