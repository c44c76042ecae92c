"""results.json: versioned, schema-valid, complete."""

import datetime
import json
import subprocess
from collections import Counter

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.results_schema import SCHEMA_DIR
from evidence_samples import SampleRun
from jsonschema import Draft202012Validator

from landingzone.errors import LandingzoneError
from landingzone.evidence import render_evidence, write_evidence
from landingzone.jsonschema_formats import FORMAT_CHECKER

SCHEMA = SCHEMA_DIR / "results-v2.json"


def test_written_results_validate_against_the_schema_file(written):
    document = json.loads(written["files"]["results"].read_text())
    schema = json.loads(SCHEMA.read_text())
    Draft202012Validator.check_schema(schema)
    errors = list(Draft202012Validator(schema, format_checker=FORMAT_CHECKER).iter_errors(document))
    assert errors == []
    assert document["schema_version"] == 2


def test_every_result_is_kept_with_its_control_id(written):
    document = json.loads(written["files"]["results"].read_text())
    assert len(document["results"]) == len(written["results"]) == 3 * 24
    assert [r["control"] for r in document["results"]] == [r["id"] for r in written["results"]]
    assert {status for status in Counter(r["status"] for r in document["results"])} == {
        "pass",
        "fixed",
        "fail",
        "waived",
        "not_applicable",
        "error",
    }


def test_unreachable_host_and_empty_sections_are_recorded(written):
    document = json.loads(written["files"]["results"].read_text())
    assert document["hosts"]["gem-backup1"] == {
        "reachable": False,
        "failed": True,
        "message": "ssh: connect to host port 22: No route to host",
    }
    assert document["summary"]["hosts_not_reached"] == ["gem-backup1"]
    assert (document["backup"], document["drill"], document["vpn"]) == ({}, {}, {})


def test_summary_counts_and_compliance(written):
    document = json.loads(written["files"]["results"].read_text())
    tally = Counter(r["status"] for r in document["results"])
    overall = document["summary"]["overall"]
    assert {status: overall[status] for status in tally} == dict(tally)
    good, bad = tally["pass"] + tally["fixed"], tally["fail"] + tally["error"]
    assert overall["compliance"] == pytest.approx(100 * good / (good + bad), abs=0.1)
    assert overall["compliance"] <= 100 * good / (good + bad)  # rounded down, never up
    essential = document["summary"]["by_level"]["essential"]
    assert sum(essential[s] for s in tally) == 24


def test_aware_datetimes_are_accepted(tmp_path):
    sample = SampleRun()
    run = sample.run()
    run["started"] = datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC)
    files = write_evidence(tmp_path / "run", run, sample.results())
    assert json.loads(files["results"].read_text())["run"]["started"] == "2026-11-28T09:00:00+00:00"


def test_results_breaking_the_schema_are_refused_before_writing(tmp_path, sample):
    results = sample.results()
    results[5]["status"] = "passed"
    with pytest.raises(LandingzoneError, match=r"results/5/status: 'passed' is not one of"):
        write_evidence(tmp_path / "run", sample.run(), results)
    assert not (tmp_path / "run").exists()


def test_evidence_is_never_overwritten(written, sample):
    run_dir = written["files"]["results"].parent
    before = written["files"]["results"].read_bytes()
    with pytest.raises(LandingzoneError, match="exists already"):
        write_evidence(run_dir, sample.run(), sample.results()[:1])
    assert written["files"]["results"].read_bytes() == before


def test_runner_event_times_without_offset_are_taken_as_utc(tmp_path, sample):
    results = sample.results()
    for record in results:
        del record["timestamp"]
        record["time"] = "2026-11-28T10:04:59.123456"  # ansible-runner's `created`
    files = write_evidence(tmp_path / "run", sample.run(), results)
    document = json.loads(files["results"].read_text())
    assert {r["timestamp"] for r in document["results"]} == {"2026-11-28T10:04:59.123456+00:00"}


def test_reports_are_rendered_again_from_results_json_alone(written):
    run_dir = written["files"]["results"].parent
    stored = written["files"]["results"].read_bytes()
    written["files"]["report"].unlink()
    (run_dir / "junit.xml").write_text("stale")
    files = render_evidence(run_dir)
    assert files["report"].read_text().startswith("<!DOCTYPE html>")
    assert files["junit"].read_text().startswith("<?xml")
    assert files["results"].read_bytes() == stored
    assert subprocess.run(["sha256sum", "-c", "--quiet", "manifest.sha256"], cwd=run_dir, check=False).returncode == 0
