"""Every Windows result names the Microsoft security baseline references of its control, next to
CyFun and CIS, whatever its status: the evidence and the report read them from the results alone."""

from __future__ import annotations

import json
import re

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare, report
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import ControlError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows import catalog
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.parse import MARKER
from windows_testdata import engine_args, rendered_catalog

WORKSTATION_ONLY = "LZW-FEA-001"


def _line(control_id, state):
    return MARKER + json.dumps({"id": control_id, "state": state, "found": "x", "fixed": False, "fixable": True})


def test_ms_baseline_references_are_kept_for_every_status():
    windows_catalog = rendered_catalog()
    for control in windows_catalog["features"]:
        if control["id"] == WORKSTATION_ONLY:
            control["applies_to"] = ["virtual_pc"]  # so that on a server it is not applicable
    args = engine_args(catalog=windows_catalog, level="essential", host_kind="server")
    job = prepare(args, "gem-srv-01", applying=False)
    planned = [control["id"] for control, _ in job.plan]
    with_reference = [cid for cid in planned if any(c["id"] == cid and c.get("ms_baseline") for c, _ in job.plan)]
    # Compliant, failing, and one control the host never answered for (an error).
    states = {cid: ("compliant" if i % 2 else "noncompliant") for i, cid in enumerate(planned)}
    silent = with_reference[0]
    output = [_line(cid, state) for cid, state in states.items() if cid != silent]
    result = report(job, {"output": output}, False, "script")

    references = {c["id"]: c.get("ms_baseline") for c in catalog.flatten(args["catalog"])}
    statuses = set()
    for record in result["results"]:
        if references[record["id"]]:
            assert record["ms_baseline"] == references[record["id"]], record["id"]
            statuses.add(record["status"])
        else:
            assert "ms_baseline" not in record, record["id"]
    assert statuses == {"pass", "fail", "error", "not_applicable"}


def test_a_control_without_a_microsoft_reference_still_has_cyfun_and_cis():
    job = prepare(engine_args(level="basic"), "gem-vpc-01", applying=False)
    result = report(job, {"output": []}, False, "script")
    plain = [r for r in result["results"] if "ms_baseline" not in r]
    assert plain and all(r["cyfun"] for r in plain)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cis", ["2.3.1.5"], "'2.3.1.5' is not an id of cis-windows-11"),  # no such recommendation in v5.0.1
        ("cis", ["18.9.36.2"], "'18.9.36.2' is not an id of cis-windows-11"),  # an older benchmark's number
        ("cis", ["5.1.20"], "'5.1.20' is not an id of cis-windows-11"),  # a Debian id on a Windows control
        ("cyfun_2025", ["GV.XX-01.1"], "'GV.XX-01.1' is not an id of cyfun-2025"),
    ],
)
def test_the_windows_catalog_check_refuses_an_id_that_does_not_exist(field, value, message):
    windows = rendered_catalog()
    windows["rdp"][0][field] = value
    control_id = windows["rdp"][0]["id"]
    with pytest.raises(catalog.CatalogError, match=re.escape(f"control {control_id}: {field}: {message}")):
        catalog.flatten(windows)


def test_the_edition_argument_chooses_the_level_that_selects():
    windows = rendered_catalog()
    for controls in windows.values():
        for control in controls:
            if control["id"] == "LZW-UPD-001":
                control["level_2025"] = "basic"  # important under 2023
    older = prepare(engine_args(catalog=windows, level="basic"), "gem-vpc-01", applying=False)
    newer = prepare(engine_args(catalog=windows, level="basic", edition=2025), "gem-vpc-01", applying=False)
    assert "LZW-UPD-001" not in {control["id"] for control, _ in older.plan}
    (control,) = [control for control, _ in newer.plan if control["id"] == "LZW-UPD-001"]
    assert control["level"] == "basic" and control["cyfun_edition"] == 2025
    assert {control["cyfun_edition"] for control, _ in newer.plan} == {2025}  # the management path too
    assert {control["cyfun_edition"] for control, _ in older.plan} == {2023}


@pytest.mark.parametrize("edition", [2024, "twenty", None])
def test_an_edition_the_catalog_does_not_know_is_refused_before_anything_runs(edition):
    with pytest.raises(ControlError, match=re.escape("edition: cyfun edition: must be one of 2023, 2025")):
        prepare(engine_args(level="basic", edition=edition), "gem-vpc-01", applying=False)


def test_results_carry_both_editions_and_the_edition_of_their_level():
    job = prepare(engine_args(level="essential", edition=2025), "gem-vpc-01", applying=False)
    result = report(job, {"output": []}, False, "script")
    assert result["results"]
    for record in result["results"]:
        assert record["cyfun"] and record["cyfun_2025"] and record["cyfun_edition"] == 2025, record["id"]
