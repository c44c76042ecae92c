"""Drift between two runs, and the fleet index built from each municipality's latest run."""

import datetime
import json
import re

from evidence_samples import SampleRun

from landingzone.evidence import compute_drift, fleet_index, write_evidence

MONDAY = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)
TUESDAY = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC)


def two_runs():
    before = SampleRun(ident="b-first", finished=MONDAY, unreachable=())
    after = SampleRun(ident="a-second", finished=TUESDAY, unreachable=())
    ids = [c["id"] for c in before.controls]
    moves = {  # (host, control): (status before, status after)
        ("gem-app1", ids[5]): ("pass", "fail"),
        ("gem-app2", ids[5]): ("fixed", "error"),
        ("gem-app1", ids[7]): ("fail", "pass"),
        ("gem-vpn1", ids[7]): ("error", "fixed"),
        ("gem-vpn1", ids[9]): ("pass", "waived"),
        ("gem-app2", ids[9]): ("not_applicable", "fail"),
    }
    for (host, control), (was, now) in moves.items():
        before.set_status(host, control, was)
        after.set_status(host, control, now)
    return before, after, ids


def test_drift_counts_moves_between_passing_and_failing():
    before, after, ids = two_runs()
    drift = compute_drift(before.results(), after.results())
    assert drift.went_failing == [("gem-app1", ids[5]), ("gem-app2", ids[5])]
    assert drift.went_passing == [("gem-app1", ids[7]), ("gem-vpn1", ids[7])]
    assert drift.counts == {"went_failing": 2, "went_passing": 2}


def test_no_drift_between_identical_runs():
    run = SampleRun()
    drift = compute_drift(run.results(), run.results())
    assert drift.counts == {"went_failing": 0, "went_passing": 0}


def test_waived_and_not_applicable_are_not_drift():
    before, after, ids = two_runs()
    drift = compute_drift(before.results(), after.results())
    assert ("gem-vpn1", ids[9]) not in drift.went_failing + drift.went_passing
    assert ("gem-app2", ids[9]) not in drift.went_failing + drift.went_passing


def test_fleet_index_shows_latest_compliance_and_drift(tmp_path):
    before, after, ids = two_runs()
    # The idents sort the wrong way round on purpose: "latest" is by time, not by name.
    write_evidence(tmp_path / "gemtest" / before.ident, before.run(), before.results())
    write_evidence(tmp_path / "gemtest" / after.ident, after.run(), after.results())
    drill = SampleRun(ident="c-drill", kind="drill", finished=TUESDAY + datetime.timedelta(hours=1))
    write_evidence(tmp_path / "gemtest" / drill.ident, drill.run(), [])
    (tmp_path / "newtown").mkdir()

    index = fleet_index(tmp_path)

    html = index.read_text()
    latest = json.loads((tmp_path / "gemtest" / "a-second" / "results.json").read_text())
    assert f"{latest['summary']['overall']['compliance']:.1f} %" in html
    assert 'href="gemtest/a-second/report.html"' in html
    assert "2 pass → fail" in html and "2 fail → pass" in html
    assert f"gem-app1 <code>{ids[5]}</code>" in html
    assert "newtown" in html and "no audit, plan or apply run yet" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|<script|<link|url\(""", html)


def test_first_run_has_no_drift(tmp_path):
    run = SampleRun()
    write_evidence(tmp_path / "gemtest" / run.ident, run.run(), run.results())
    assert "first run" in fleet_index(tmp_path).read_text()
