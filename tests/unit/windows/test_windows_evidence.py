"""Windows results in the evidence: results.json keeps each control's Microsoft security baseline
references (ms_baseline, schema version 2) next to CyFun and CIS, and report.html shows them under
the control's title. Version 1 documents, which never had the field, stay valid and render."""

from __future__ import annotations

import json
import re

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare, report
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.parse import MARKER
from evidence_samples import SampleRun
from windows_testdata import engine_args

from landingzone.errors import LandingzoneError
from landingzone.evidence import render_evidence, write_evidence
from landingzone.evidence.document import check_document

HOST = "gem-vpc-01"


def windows_results():
    """The engine's records for one virtual PC, as the runner hands them to the evidence."""
    job = prepare(engine_args(level="basic"), HOST, applying=False)
    output = [
        MARKER + json.dumps({"id": control["id"], "state": "noncompliant", "found": 0, "fixable": True})
        for control, _ in job.plan
    ]
    records = report(job, {"output": output}, False, "script")["results"]
    return [{"host": HOST, "time": "2026-11-28T10:04:59+00:00", **record} for record in records]


@pytest.fixture
def written(tmp_path):
    results = windows_results()
    files = write_evidence(tmp_path / "gemtest" / "20261128T100000Z-audit", SampleRun().run(), results)
    return results, files


def test_results_json_keeps_the_ms_baseline_references(written):
    results, files = written
    document = json.loads(files["results"].read_text())
    assert document["schema_version"] == 2
    stored = {r["control"]: r for r in document["results"] if r["host"] == HOST}
    referenced = [r for r in results if r.get("ms_baseline")]
    assert referenced, "the basic level has controls with Microsoft baseline references"
    for record in results:
        assert stored[record["id"]].get("ms_baseline") == record.get("ms_baseline"), record["id"]
        assert stored[record["id"]]["cyfun"] == record["cyfun"]


def test_report_shows_the_references_under_the_control(written):
    results, files = written
    html = files["report"].read_text()
    management = next(r for r in results if r["id"] == "LZW-MGT-001")
    row = re.search(r"<tr[^>]*><td[^>]*>gem-vpc-01</td><td[^>]*><code>LZW-MGT-001</code>.*?</tr>", html).group(0)
    assert "Microsoft baseline " + ", ".join(management["ms_baseline"]) in row
    assert "CyFun 2023 " + ", ".join(management["cyfun"]) in row
    assert "CyFun 2025 " + ", ".join(management["cyfun_2025"]) in row
    without = next(r for r in results if not r.get("ms_baseline") and r["cis"])
    row = re.search(rf"<tr[^>]*><td[^>]*>gem-vpc-01</td><td[^>]*><code>{without['id']}</code>.*?</tr>", html).group(0)
    assert "CIS " + ", ".join(without["cis"]) in row and "Microsoft baseline" not in row


def test_version_1_documents_stay_valid_without_the_field_and_render(written):
    _, files = written
    document = json.loads(files["results"].read_text())
    document["schema_version"] = 1
    for record in document["results"]:
        record.pop("waiver_requests", None)
        for field in ("cyfun_2025", "cyfun_edition"):  # added to version 2 later, never in version 1
            record.pop(field, None)
    with pytest.raises(LandingzoneError, match=r"results-v1.json:\n.*ms_baseline"):
        check_document(document)  # version 1 is as it was: the field is version 2's
    for record in document["results"]:
        record.pop("ms_baseline", None)
    check_document(document)
    files["results"].write_text(json.dumps(document))
    html = render_evidence(files["results"].parent)["report"].read_text()
    assert "<code>LZW-MGT-001</code>" in html and "Microsoft baseline" not in html
