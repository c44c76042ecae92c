"""The evidence shows both CyFun editions: results.json keeps every reference and the edition of each
result's level, report.html names both editions under each control and counts by the run's edition,
junit.xml carries the level and references as test case properties, and the OSCAL assessment results
name the edition of each observation's level (the component definition's part is in test_oscal.py)."""

import json
import re
import xml.etree.ElementTree as ET

import pytest
from evidence_samples import SampleRun
from oscal_schema import schema_errors

from landingzone.errors import LandingzoneError
from landingzone.evidence import render_evidence, write_evidence
from landingzone.evidence.document import check_document
from landingzone.evidence.oscal_results import assessment_results


@pytest.fixture(params=[2023, 2025], ids=["cyfun-2023", "cyfun-2025"])
def run_of_edition(request, tmp_path):
    sample = SampleRun(edition=request.param)
    results = sample.results()
    return request.param, results, write_evidence(tmp_path / "gemtest" / sample.ident, sample.run(), results)


def row_of(html: str, host: str, control_id: str) -> str:
    pattern = rf"<tr[^>]*><td[^>]*>{host}</td><td[^>]*><code>{control_id}</code>.*?</tr>"
    return re.search(pattern, html, re.S).group(0)


def test_results_json_keeps_both_editions_and_the_edition_of_the_level(run_of_edition):
    edition, results, files = run_of_edition
    document = json.loads(files["results"].read_text())
    check_document(document)
    stored = {(r["host"], r["control"]): r for r in document["results"]}
    for result in results:
        record = stored[(result["host"], result["id"])]
        assert record["cyfun"] == result["cyfun"] and record["cyfun_2025"] == result["cyfun_2025"]
        assert record.get("cis_debian13") == result.get("cis_debian13")
        assert record["cyfun_edition"] == edition and record["level"] == result["level"]


def test_the_report_names_both_editions_under_each_control(run_of_edition):
    _, results, files = run_of_edition
    html = files["report"].read_text()
    result = next(r for r in results if r["cis"] and r.get("cis_debian13"))
    row = row_of(html, result["host"], result["id"])
    assert f"CyFun 2023 {', '.join(result['cyfun'])}" in row
    assert f"CyFun 2025 {', '.join(result['cyfun_2025'])}" in row
    assert f"CIS {', '.join(result['cis'])}" in row and f"CIS Debian 13 {', '.join(result['cis_debian13'])}" in row


def test_the_summary_counts_by_the_level_of_the_run_s_edition(run_of_edition):
    edition, _, files = run_of_edition
    html = files["report"].read_text()
    assert f"<h2>Compliance by CyFun {edition} level</h2>" in html


def test_a_run_without_editions_still_renders_with_its_references(tmp_path):
    """Runs before editions: no cyfun_edition and no 2025 ids in results.json."""
    sample = SampleRun()
    results = sample.results()
    for result in results:
        for field in ("cyfun_2025", "cis_debian13", "cyfun_edition"):
            result.pop(field, None)
    files = write_evidence(tmp_path / "run", sample.run(), results)
    check_document(json.loads(files["results"].read_text()))
    html = render_evidence(files["results"].parent)["report"].read_text()
    assert "<h2>Compliance by CyFun level</h2>" in html and "CyFun 2025" not in html
    assert f"CyFun 2023 {', '.join(results[0]['cyfun'])}" in html


def test_a_stored_result_naming_an_edition_that_does_not_exist_is_refused(run_of_edition):
    _, _, files = run_of_edition
    document = json.loads(files["results"].read_text())
    document["results"][0]["cyfun_edition"] = 2024
    with pytest.raises(LandingzoneError, match=r"results/0/cyfun_edition: 2024 is not one of \[2023, 2025\]"):
        check_document(document)


def test_junit_cases_carry_the_level_and_both_editions_as_properties(run_of_edition):
    edition, results, files = run_of_edition
    root = ET.parse(files["junit"]).getroot()
    result = next(r for r in results if r["status"] == "fail")
    suite = root.find(f"testsuite[@name='gemtest/{result['host']}']")
    case = next(c for c in suite.findall("testcase") if c.get("name").startswith(result["id"] + " "))
    properties = {p.get("name"): p.get("value") for p in case.find("properties")}
    assert properties["level"] == f"{result['level']} (CyFun {edition})"
    assert properties["CyFun 2023"] == ", ".join(result["cyfun"])
    assert properties["CyFun 2025"] == ", ".join(result["cyfun_2025"])
    assert properties.get("CIS") == (", ".join(result["cis"]) or None)
    # Every case has them, the host's own error case aside.
    cases = [c for c in root.iter("testcase") if c.get("name") != "host reachable and run completed"]
    assert all(c.find("properties") is not None for c in cases)


def test_oscal_observations_name_the_edition_of_their_level(run_of_edition):
    edition, results, files = run_of_edition
    document = json.loads(files["results"].read_text())
    exported = json.loads(assessment_results(document, files["results"].parent).oscal_serialize_json())
    assert schema_errors(exported) == []
    observations = exported["assessment-results"]["results"][0]["observations"]
    per_control = [o for o in observations if any(p["name"] == "control" for p in o.get("props", []))]
    assert len(per_control) == len(results)
    for observation in per_control:
        props = {p["name"]: p["value"] for p in observation["props"]}
        assert props["cyfun-edition"] == str(edition) and props["level"] in ("basic", "important", "essential")
