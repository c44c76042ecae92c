"""Every Windows result names the Microsoft security baseline references of its control, next to
CyFun and CIS, whatever its status: the evidence and the report read them from the results alone."""

from __future__ import annotations

import json

from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare, report
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
