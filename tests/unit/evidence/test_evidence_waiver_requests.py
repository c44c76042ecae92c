"""Supplier roles' waiver requests in the evidence: pending beside the failing control, never a
waiver; approved beside the control the card waives, still naming the role that asked.

The requests come from real contracts (roles/citizen_portal and the contract test's fixture
roles) and the hosts that carry a role from a real inventory read by ansible-inventory.
"""

import copy
import json
from pathlib import Path

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.results_schema import SCHEMA_DIR
from evidence_samples import ROOT, SampleRun
from jsonschema import Draft202012Validator

from landingzone.errors import LandingzoneError
from landingzone.evidence import render_evidence, write_evidence
from landingzone.fleet_inputs import inventory_shape
from landingzone.jsonschema_formats import FORMAT_CHECKER
from landingzone.runner.supplier_roles import requests_by_host
from landingzone.supplier_role import load, load_all, waiver_requests

SCHEMAS = SCHEMA_DIR
FIXTURE_ROLES = ROOT / "tests" / "fixtures" / "supplier_roles"
INVENTORY = """\
all:
  children:
    app_servers:
      hosts:
        gem-app1:
        gem-app2:
    vpn_gateways:
      hosts:
        gem-vpn1:
    requested_waiver:
      children:
        portal_front:
          hosts:
            gem-app1:
"""


def schema(version: int) -> Draft202012Validator:
    return Draft202012Validator(
        json.loads((SCHEMAS / f"results-v{version}.json").read_text()), format_checker=FORMAT_CHECKER
    )


@pytest.fixture
def requests() -> list[dict]:
    """The fixture role's one request (LZ-PERM-003), as every fleet command reads it."""
    found = waiver_requests(load_all(FIXTURE_ROLES))
    assert [r["control"] for r in found] == ["LZ-PERM-003"]
    return found


@pytest.fixture
def hosts_file(tmp_path) -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text(INVENTORY)
    return path


def sample_with(control_id: str, statuses: dict[str, str]) -> SampleRun:
    """The sample run with LZ-PERM-003 in place of its first control, in these statuses per host."""
    sample = SampleRun()
    sample.controls[1] = dict(copy.deepcopy(sample.controls[1]), id=control_id, title="Group file permissions")
    for host, status in statuses.items():
        sample.set_status(host, control_id, status)
    return sample


@pytest.fixture
def groups(hosts_file) -> dict[str, set[str]]:
    """The inventory's groups with their hosts, as the CLI reads them when it loads a municipality."""
    return inventory_shape(hosts_file)[1]


def test_requests_reach_the_hosts_of_the_group_named_after_the_role(requests, groups):
    by_host = requests_by_host(groups, requests)
    assert by_host == {"gem-app1": requests}
    assert requests_by_host(groups, waiver_requests(load(ROOT / "roles" / "citizen_portal"))) == {}


def test_failing_control_carries_the_pending_request_and_stays_failed(tmp_path, requests, groups):
    sample = sample_with("LZ-PERM-003", {"gem-app1": "fail", "gem-app2": "fail", "gem-vpn1": "pass"})
    results = sample.results()
    plain = json.loads(write_evidence(tmp_path / "plain", sample.run(), results)["results"].read_text())
    run = dict(sample.run(), waiver_requests=requests_by_host(groups, requests))
    document = json.loads(write_evidence(tmp_path / "run", run, results)["results"].read_text())

    assert list(schema(2).iter_errors(document)) == []
    assert document["schema_version"] == 2
    by_host = {r["host"]: r for r in document["results"] if r["control"] == "LZ-PERM-003"}
    assert by_host["gem-app1"]["status"] == "fail"
    assert by_host["gem-app1"]["waiver"] is None
    assert by_host["gem-app1"]["waiver_requests"] == [
        {"role": "requested_waiver", "justification": requests[0]["justification"], "state": "pending"}
    ]
    # The engine's reason is kept as it was; the request is a field of its own.
    assert by_host["gem-app1"]["reason"] == next(
        r["reason"] for r in plain["results"] if r["host"] == "gem-app1" and r["control"] == "LZ-PERM-003"
    )
    # gem-app2 fails too, but carries no role that asked.
    assert "waiver_requests" not in by_host["gem-app2"]
    assert "waiver_requests" not in by_host["gem-vpn1"]
    # A request is never a waiver: the counts and the compliance figure are those of the run without it.
    assert document["summary"] == plain["summary"]
    assert sum(1 for r in document["results"] if "waiver_requests" in r) == 1


def test_only_failing_and_waived_controls_show_a_request(tmp_path, requests, groups):
    for status in ("pass", "fixed", "not_applicable"):
        sample = sample_with("LZ-PERM-003", {"gem-app1": status})
        run = dict(sample.run(), waiver_requests=requests_by_host(groups, requests))
        document = json.loads(write_evidence(tmp_path / status, run, sample.results())["results"].read_text())
        assert not [r for r in document["results"] if "waiver_requests" in r], status


def test_the_card_waiver_in_effect_names_the_role_that_asked_for_it(tmp_path, requests, groups):
    sample = sample_with("LZ-PERM-003", {"gem-app1": "waived", "gem-app2": "waived"})
    results = sample.results()
    plain = json.loads(write_evidence(tmp_path / "plain", sample.run(), results)["results"].read_text())
    run = dict(sample.run(), waiver_requests=requests_by_host(groups, requests))
    written = write_evidence(tmp_path / "run", run, results)
    document = json.loads(written["results"].read_text())

    assert list(schema(2).iter_errors(document)) == []
    by_host = {r["host"]: r for r in document["results"] if r["control"] == "LZ-PERM-003"}
    assert by_host["gem-app1"]["status"] == "waived"
    assert by_host["gem-app1"]["waiver"]["approver"]
    assert by_host["gem-app1"]["waiver_requests"] == [
        {"role": "requested_waiver", "justification": requests[0]["justification"], "state": "approved"}
    ]
    # gem-app2 carries the same waiver from the card, but no role on it asked.
    assert "waiver_requests" not in by_host["gem-app2"]
    assert document["summary"] == plain["summary"]

    html = written["report"].read_text()
    waivers = html[html.index('id="waivers"') : html.index('id="hosts"')]
    row = next(row for row in waivers.split("<tr") if "LZ-PERM-003" in row)
    assert f"requested by requested_waiver: {requests[0]['justification']}" in row
    host = html[html.index('id="host-gem-app1"') : html.index('id="host-gem-app2"')]
    assert "— approved on the card (see Waivers)" in host
    assert "not in effect until approved" not in html


def test_report_shows_the_request_beside_the_failing_control(tmp_path, requests, groups):
    sample = sample_with("LZ-PERM-003", {"gem-app1": "fail"})
    run = dict(sample.run(), waiver_requests=requests_by_host(groups, requests))
    html = write_evidence(tmp_path / "run", run, sample.results())["report"].read_text()
    words = (
        f"waiver requested by requested_waiver: {requests[0]['justification']}"
        " — not in effect until approved on the card"
    )
    failures = html[html.index('id="failures"') : html.index('id="waivers"')]
    row = next(row for row in failures.split("<tr") if "LZ-PERM-003" in row)
    assert 'data-status="fail"' in row and words in row
    host = html[html.index('id="host-gem-app1"') : html.index('id="host-gem-app2"')]
    assert words in host
    # Not a waiver: the waivers section does not list it.
    waivers = html[html.index('id="waivers"') : html.index('id="hosts"')]
    assert "LZ-PERM-003" not in waivers and "requested_waiver" not in waivers
    assert html.count("waiver requested by") == 2


@pytest.mark.parametrize(
    ("status", "state"),
    [("pass", "pending"), ("waived", "pending"), ("fail", "approved"), ("not_applicable", "approved")],
)
def test_schema_refuses_a_request_whose_state_does_not_match_its_control(tmp_path, requests, groups, status, state):
    sample = sample_with("LZ-PERM-003", {"gem-app1": "fail"})
    run = dict(sample.run(), waiver_requests=requests_by_host(groups, requests))
    document = json.loads(write_evidence(tmp_path / "run", run, sample.results())["results"].read_text())
    record = next(r for r in document["results"] if "waiver_requests" in r)
    assert list(schema(2).iter_errors(document)) == []
    record["status"] = status
    record["waiver_requests"][0]["state"] = state
    assert [e.message for e in schema(2).iter_errors(document)] == [
        f"{record!r} is not valid under any of the given schemas"
    ]


def test_version_1_evidence_still_validates_and_renders(written):
    run_dir = written["files"]["results"].parent
    document = json.loads(written["files"]["results"].read_text())
    document["schema_version"] = 1  # what a run before version 2 wrote: the same fields, no requests
    for record in document["results"]:  # and no fields added since, such as the CyFun 2025 references
        for field in ("cyfun_2025", "cis_debian13", "anssi", "cyfun_edition"):
            record.pop(field, None)
    (run_dir / "results.json").write_text(json.dumps(document))
    assert list(schema(1).iter_errors(document)) == []
    assert render_evidence(run_dir)["report"].read_text().startswith("<!DOCTYPE html>")
    document["results"][0]["waiver_requests"] = [{"role": "r", "justification": "j", "state": "pending"}]
    (run_dir / "results.json").write_text(json.dumps(document))
    with pytest.raises(LandingzoneError, match=r"results-v1.json:\nresults/0: Additional properties"):
        render_evidence(run_dir)


def test_unknown_schema_version_is_refused(written):
    run_dir = written["files"]["results"].parent
    document = json.loads(written["files"]["results"].read_text())
    document["schema_version"] = 9
    (run_dir / "results.json").write_text(json.dumps(document))
    with pytest.raises(LandingzoneError, match=r"schema_version: 9 is not one this CLI reads \(1, 2\)"):
        render_evidence(run_dir)
