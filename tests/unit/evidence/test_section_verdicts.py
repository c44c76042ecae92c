"""The records of the sections beside the control results (backups, drills, VPN, logs) are judged by
their verdict alone; records written before verdicts are judged as they were then."""

import json
import re
from pathlib import Path

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import STATUSES
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.results_schema import (
    SECTIONS,
    VERDICTS,
    control_statuses,
    results_schema,
    section_titles,
)
from evidence_samples import SampleRun

import landingzone
from landingzone.errors import LandingzoneError
from landingzone.evidence import render_evidence, write_evidence
from landingzone.evidence.document import build_document, check_document
from landingzone.evidence.sections import record_is_bad
from landingzone.runner.events import EVIDENCE_SECTIONS

# Fields whose names once decided whether a record was bad, all saying "fine".
GOOD_LOOKING = {"ok": True, "verified": True, "rto_met": True, "chain_ok": True, "status": "pass"}
# The same names all saying "wrong".
BAD_LOOKING = {"ok": False, "verified": False, "rto_met": False, "chain_ok": False, "status": "fail"}


def section_html(html: str, section: str) -> str:
    start = html.index(f'<section id="{section}"')
    return html[start : html.index("</section>", start)]


def write_with(tmp_path, section: str, records: dict) -> tuple[str, dict]:
    sample = SampleRun(unreachable=())
    run = sample.run()
    run[section] = records
    files = write_evidence(tmp_path / "run", run, sample.results())
    return files["report"].read_text(), json.loads(files["results"].read_text())


@pytest.mark.parametrize("verdict", ["fail", "error"])
def test_a_failing_verdict_marks_its_section_whatever_the_fields_are_called(tmp_path, verdict):
    record = {**GOOD_LOOKING, "verdict": verdict}
    html, document = write_with(tmp_path, "drill", {"gem-app1": [record]})
    assert record_is_bad(record)
    part = section_html(html, "drill")
    assert part.startswith('<section id="drill" class=alert><h2>Restore drills (1 need attention)</h2>')
    assert part.count('<tr class="breach">') == 1
    assert document["drill"]["gem-app1"] == [record]


@pytest.mark.parametrize("verdict", ["pass", "not_applicable"])
def test_a_passing_verdict_is_not_overruled_by_field_names(tmp_path, verdict):
    record = {**BAD_LOOKING, "verdict": verdict}
    html, _ = write_with(tmp_path, "backup", {"gem-app2": [record]})
    assert not record_is_bad(record)
    part = section_html(html, "backup")
    assert part.startswith('<section id="backup"><h2>Backups</h2>')
    assert "breach" not in part


def test_every_section_the_schema_declares_is_judged_the_same_way(tmp_path):
    sample = SampleRun(unreachable=())
    run = sample.run()
    for section in SECTIONS:
        run[section] = {"gem-app1": [{"verdict": "fail"}, {"verdict": "pass"}], "gem-app2": [{"verdict": "pass"}]}
    html = write_evidence(tmp_path / "run", run, sample.results())["report"].read_text()
    for section, title in section_titles().items():
        assert f'<section id="{section}" class=alert><h2>{title} (1 need attention)</h2>' in html
    # The host's own part points at each section that has something wrong on it, and only there.
    host_part = html[html.index('id="host-gem-app1"') :]
    assert all(f'<a href="#{section}">' in host_part.split("</section>")[0] for section in SECTIONS)
    assert "suspect record" not in html[html.index('id="host-gem-app2"') :].split("</section>")[0]


@pytest.mark.parametrize(
    ("record", "bad"),
    [
        ({"rto_met": False, "status": "pass"}, True),
        ({"chain_ok": False}, True),
        ({"verified": False}, True),
        ({"ok": False}, True),
        ({"last_run_ok": None, "rpo_met": True}, False),
        ({"status": "FAILED"}, True),
        ({"status": "error"}, True),
        # A VPN record before verdicts had no field that judged it, nested or not.
        ({"interface": {"up": False}, "suppliers": {}}, False),
        ({"rto_met": True, "chain_ok": True, "status": "pass"}, False),
    ],
)
def test_a_record_written_before_verdicts_is_judged_as_it_was_then(record, bad):
    assert record_is_bad(record) is bad


def test_an_archived_run_without_verdicts_renders_the_same_outcome_again(tmp_path):
    """A run stored by an earlier version (no verdict in any record) still validates, and its
    report, rendered again from results.json alone, marks the same records."""
    sample = SampleRun(unreachable=())
    run = sample.run()
    run["backup"] = {"gem-app1": [{"check": "restore_verify", "verified": False}], "gem-app2": [{"verified": True}]}
    run["drill"] = {"gem-app1": [{"service": "portal", "status": "pass", "rto_met": False}]}
    run["vpn"] = {"gem-vpn1": [{"interface": {"name": "lzwg0", "up": True}, "suppliers": {}}]}
    files = write_evidence(tmp_path / "run", run, sample.results())
    first = files["report"].read_text()
    files["report"].unlink()
    again = render_evidence(tmp_path / "run")["report"].read_text()
    assert again == first
    assert "Backups (1 need attention)" in again and "Restore drills (1 need attention)" in again
    assert '<section id="vpn"><h2>VPN gateways</h2>' in again
    assert "verdict" not in json.loads(files["results"].read_text())["backup"]["gem-app1"][0]


def test_a_verdict_the_schema_does_not_know_is_refused_naming_where_it_is():
    sample = SampleRun(unreachable=())
    run = sample.run()
    run["drill"] = {"gem-app1": [{"service": "portal", "verdict": "pass"}, {"service": "<b>", "verdict": "ok"}]}
    with pytest.raises(LandingzoneError, match=r"results-v2.json:\ndrill/gem-app1/1/verdict: 'ok' is not one of"):
        check_document(build_document(run, sample.results()))


def test_sections_verdicts_and_statuses_are_the_schemas():
    schema = results_schema()
    assert SECTIONS == ("backup", "drill", "vpn", "logs", "confinement") == EVIDENCE_SECTIONS
    # A section's records are the only objects in the document whose verdict the schema declares.
    assert all(schema["properties"][name]["$ref"] == "#/$defs/host_records" for name in SECTIONS)
    # The verdicts are control statuses, and the schema's statuses are the engines'.
    assert control_statuses() == STATUSES
    assert set(VERDICTS) <= set(STATUSES) and {"pass", "fail", "error"} <= set(VERDICTS)


def test_no_evidence_code_judges_a_record_by_its_field_names():
    """The name-ending rule lives in legacy_verdict.py alone, for records written before verdicts."""
    source = Path(landingzone.__file__).parent
    judges = [
        path.relative_to(source).as_posix()
        for path in sorted(source.rglob("*.py"))
        if re.search(r"""["']_(met|ok)["']""", path.read_text(encoding="utf-8"))
    ]
    assert judges == ["evidence/legacy_verdict.py"]
