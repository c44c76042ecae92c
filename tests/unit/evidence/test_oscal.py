"""The OSCAL exports: valid against NIST's schema, complete, and readable back with compliance-trestle."""

import json
import shutil

import pytest
from evidence_samples import ROOT
from oscal_schema import schema_errors
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.component import ComponentDefinition

from landingzone.cli import main
from landingzone.evidence.oscal_component import component_definition, role_catalogs
from landingzone.evidence.oscal_results import assessment_results


@pytest.fixture(scope="module")
def exported_catalog() -> dict:
    return json.loads(component_definition(ROOT, "0.1.0").oscal_serialize_json())


def requirements(document: dict) -> dict[str, dict]:
    return {
        requirement["control-id"]: requirement
        for component in document["component-definition"]["components"]
        for implementation in component["control-implementations"]
        for requirement in implementation["implemented-requirements"]
    }


def props_of(requirement: dict, name: str) -> list[str]:
    return [p["value"] for p in requirement.get("props", []) if p["name"] == name]


def test_the_component_definition_validates_against_the_oscal_schema(exported_catalog):
    assert schema_errors(exported_catalog) == []


def test_every_control_is_there_with_its_cyfun_and_cis_references(exported_catalog):
    exported = requirements(exported_catalog)
    controls = [c for files in role_catalogs(ROOT).values() for _, cs in files for c in cs]
    assert len(exported) == len(controls) > 600
    for control in controls:
        requirement = exported[control["id"]]
        assert props_of(requirement, "cyfun") == control["cyfun"]
        assert props_of(requirement, "cyfun_2025") == control["cyfun_2025"]
        assert props_of(requirement, "cis") == [str(c) for c in control["cis"]]
        assert props_of(requirement, "level") == [control["level"]]
        assert props_of(requirement, "level-2025") == [control["level_2025"]]
        assert props_of(requirement, "ms_baseline") == [str(c) for c in control.get("ms_baseline", [])]


def test_the_anssi_references_and_the_2025_ids_are_exported_too(exported_catalog):
    exported = requirements(exported_catalog)
    controls = [c for files in role_catalogs(ROOT).values() for _, cs in files for c in cs]
    citing = [control for control in controls if control.get("anssi")]
    assert len(citing) > 200
    for control in citing:
        assert props_of(exported[control["id"]], "anssi") == control["anssi"]
    assert props_of(exported["LZ-SSH-001"], "cyfun_2025") == ["PR.AA-01.1"]
    frameworks = {p["class"] for p in exported_catalog["component-definition"]["components"][0]["props"]}
    assert {"anssi", "cyfun_2025", "cyfun"} <= frameworks


def test_the_schema_check_can_fail(exported_catalog):
    broken = json.loads(json.dumps(exported_catalog))
    first = broken["component-definition"]["components"][0]["control-implementations"][0]
    first["implemented-requirements"][0]["control-id"] = "not a token"
    del broken["component-definition"]["metadata"]["last-modified"]
    assert len(schema_errors(broken)) >= 1


def run_document(written) -> dict:
    return json.loads(written["files"]["results"].read_text())


def test_a_run_exports_as_valid_assessment_results_that_load_back(written, tmp_path):
    document = run_document(written)
    exported = assessment_results(document, written["files"]["results"].parent)
    path = tmp_path / "assessment-results.json"
    exported.oscal_write(path)
    assert schema_errors(json.loads(path.read_text())) == []
    loaded = AssessmentResults.oscal_read(path)
    assert loaded == exported
    (result,) = loaded.results
    assessed = [r for r in document["results"] if r["status"] != "not_applicable"]
    assert len(result.findings) == len(assessed)
    states = {(f.title, f.target.status.state.value, f.target.status.reason) for f in result.findings}
    for record in assessed:
        state = "satisfied" if record["status"] in ("pass", "fixed") else "not-satisfied"
        assert (f"{record['control']} on {record['host']}", state, record["status"]) in states
    waived = [r for r in document["results"] if r["status"] == "waived"]
    risks = json.loads(path.read_text())["assessment-results"]["results"][0]["risks"]
    assert len(risks) == len(waived) and {risk["status"] for risk in risks} == {"deviation-approved"}
    not_reached = [o for o in result.observations if o.title == "gem-backup1: not reached"]
    assert not_reached and "No route to host" in not_reached[0].description
    hashes = {link.href: link.hashes[0].value for link in loaded.back_matter.resources[1].rlinks}
    assert set(hashes) >= {"results.json", "report.html", "manifest.sha256"}


def test_exporting_twice_gives_the_same_document(written):
    document = run_document(written)
    run_dir = written["files"]["results"].parent
    first = assessment_results(document, run_dir).oscal_serialize_json()
    assert assessment_results(document, run_dir).oscal_serialize_json() == first


def test_cli_exports_both(written, tmp_path, capsys):
    run_dir = written["files"]["results"].parent
    out = tmp_path / "ar.json"
    assert main(["evidence", "assessment-results", str(run_dir), "--out", str(out)]) == 0
    assert ComponentDefinition is not None and AssessmentResults.oscal_read(out) is not None
    assert main(["evidence", "component-definition", "--out", str(tmp_path / "cd.json")]) == 0
    assert ComponentDefinition.oscal_read(tmp_path / "cd.json").components
    broken = tmp_path / "broken"
    shutil.copytree(run_dir, broken)
    (broken / "results.json").write_text('{"schema_version": 2}')
    capsys.readouterr()
    assert main(["evidence", "assessment-results", str(broken)]) == 2
    assert "results-v2.json" in capsys.readouterr().err
