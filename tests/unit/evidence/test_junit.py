"""junit.xml parses, and its counts are the run's."""

import xml.etree.ElementTree as ET
from collections import Counter

from landingzone.evidence import write_evidence


def test_counts_match_the_results(written):
    root = ET.parse(written["files"]["junit"]).getroot()
    tally = Counter(r["status"] for r in written["results"])
    unreachable = 1
    assert root.tag == "testsuites"
    assert int(root.get("tests")) == len(written["results"]) + unreachable
    assert int(root.get("failures")) == tally["fail"]
    assert int(root.get("errors")) == tally["error"] + unreachable
    assert int(root.get("skipped")) == tally["waived"] + tally["not_applicable"]
    assert len(root.findall(".//testcase")) == int(root.get("tests"))
    assert len(root.findall(".//testcase/failure")) == tally["fail"]
    assert len(root.findall(".//testcase/skipped")) == int(root.get("skipped"))


def test_one_suite_per_host_with_its_own_counts(written):
    root = ET.parse(written["files"]["junit"]).getroot()
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {"gemtest/gem-app1", "gemtest/gem-app2", "gemtest/gem-vpn1", "gemtest/gem-backup1"}
    for host in ("gem-app1", "gem-app2", "gem-vpn1"):
        suite = suites[f"gemtest/{host}"]
        tally = Counter(r["status"] for r in written["results"] if r["host"] == host)
        assert int(suite.get("tests")) == 24
        assert int(suite.get("failures")) == tally["fail"]


def test_unreachable_host_is_an_error_not_silence(written):
    root = ET.parse(written["files"]["junit"]).getroot()
    suite = root.find("testsuite[@name='gemtest/gem-backup1']")
    error = suite.find("testcase/error")
    assert error is not None and "No route to host" in error.get("message")


def test_skipped_cases_carry_the_reason(written):
    root = ET.parse(written["files"]["junit"]).getroot()
    not_applicable = next(r for r in written["results"] if r["status"] == "not_applicable")
    case = root.find(f".//testcase[@name='{not_applicable['id']} {not_applicable['title']}']")
    assert case.find("skipped").get("message") == not_applicable["reason"]


def test_characters_xml_cannot_carry_do_not_break_the_file(tmp_path, sample):
    results = sample.results()
    failing = next(r for r in results if r["status"] == "fail")
    failing["reason"] = "binary junk \x00\x1b[0m in the output"
    files = write_evidence(tmp_path / "run", sample.run(), results)
    root = ET.parse(files["junit"]).getroot()
    assert any("binary junk" in (f.get("message") or "") for f in root.iter("failure"))
