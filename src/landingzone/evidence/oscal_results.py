"""One run's results.json as OSCAL assessment results, for an auditor's tools.

Each host is an inventory item; each control result an observation (what the engine saw, on
which host, when); each assessed result a finding on its control, satisfied (pass, fixed) or
not (fail, error, waived), with the landing zone status as the reason. A waiver becomes a risk
with status deviation-approved, its approver, compensating measure and expiry. not_applicable
results stay observations only: OSCAL has no state for "cannot be assessed here". A host that
was not reached gets an observation saying so. The run's evidence files are in the back
matter with their sha256, so the document points at the signed evidence it came from.
"""

import datetime
from pathlib import Path

from trestle.oscal import OSCAL_VERSION, common
from trestle.oscal.assessment_results import AssessmentResults, ImportAp, LocalDefinitions1, Result

from landingzone.evidence.manifest import MANIFEST, SIGNATURE_FILE
from landingzone.evidence.oscal_common import file_link, prop, stable_uuid

SATISFIED = {"pass": "satisfied", "fixed": "satisfied", "fail": "not-satisfied", "error": "not-satisfied"}
SATISFIED["waived"] = "not-satisfied"
EVIDENCE_FILES = ("results.json", "junit.xml", "report.html", MANIFEST, SIGNATURE_FILE)


def _time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def _observation(run: dict, result: dict, host_uuid: str) -> common.Observation:
    status = result["status"]
    return common.Observation(
        uuid=stable_uuid("observation", run["ident"], result["host"], result["control"]),
        title=f"{result['control']} on {result['host']}: {status.replace('_', ' ')}",
        description=result["reason"] or result["title"],
        props=[prop("control", result["control"]), prop("status", status), prop("level", result["level"])]
        + ([prop("cyfun-edition", result["cyfun_edition"])] if result.get("cyfun_edition") else []),
        methods=["TEST"],
        subjects=[common.SubjectReference(subject_uuid=host_uuid, type="inventory-item")],
        relevant_evidence=[common.RelevantEvidence(href="results.json", description="the engine's record of it")],
        collected=_time(result["timestamp"]),
    )


def _risk(run: dict, result: dict) -> common.Risk:
    waiver = result["waiver"]
    try:
        deadline = datetime.datetime.fromisoformat(str(waiver.get("expires"))).replace(tzinfo=datetime.UTC)
    except ValueError:
        deadline = None
    return common.Risk(
        uuid=stable_uuid("risk", run["ident"], result["host"], result["control"]),
        title=f"Waiver of {result['control']} on {result['host']}",
        description=waiver.get("justification") or "waived",
        statement=f"Approved by {waiver.get('approver')}; compensating measure: {waiver.get('compensating_measure')}",
        status="deviation-approved",
        deadline=deadline,
    )


def _finding(run: dict, result: dict, observation: str, risk: str | None) -> common.Finding:
    return common.Finding(
        uuid=stable_uuid("finding", run["ident"], result["host"], result["control"]),
        title=f"{result['control']} on {result['host']}",
        description=result["title"],
        target=common.FindingTarget(
            type="objective-id",
            target_id=result["control"],
            status=common.ObjectiveStatus(state=SATISFIED[result["status"]], reason=result["status"]),
        ),
        related_observations=[common.RelatedObservation(observation_uuid=observation)],
        related_risks=[common.AssociatedRisk(risk_uuid=risk)] if risk else None,
    )


def _evidence_resource(run_dir: Path | None, run: dict) -> common.Resource:
    files = [name for name in EVIDENCE_FILES if run_dir is not None and (run_dir / name).is_file()]
    return common.Resource(
        uuid=stable_uuid("evidence", run["ident"]),
        title=f"The evidence of run {run['ident']}",
        description="Check it with `landingzone evidence verify` and the fleet CA's certificate.",
        rlinks=[file_link(name, run_dir / name) for name in files] or None,
    )


def assessment_results(document: dict, run_dir: Path | None = None) -> AssessmentResults:
    run, municipality = document["run"], document["municipality"]
    name = municipality.get("display_name") or municipality["name"]
    hosts = {host: stable_uuid("host", municipality["name"], host) for host in sorted(document["hosts"])}
    plan = common.Resource(
        uuid=stable_uuid("plan", run["ident"]),
        title=f"landingzone {run['kind']}: the catalogs it ran",
        description="The assessment is the run itself: every control of these catalogs, checked on every host.",
        props=[prop("catalog", f"{path} sha256:{digest}") for path, digest in sorted(run["catalog_hashes"].items())]
        or None,
    )
    observations, findings, risks = [], [], []
    for result in document["results"]:
        observation = _observation(run, result, hosts[result["host"]])
        observations.append(observation)
        if result["status"] not in SATISFIED:
            continue
        risk = _risk(run, result) if result["status"] == "waived" and result.get("waiver") else None
        risks += [risk] if risk else []
        findings.append(_finding(run, result, observation.uuid, risk.uuid if risk else None))
    for host, state in sorted(document["hosts"].items()):
        if not state["reachable"] or state["failed"]:
            observations.append(
                common.Observation(
                    uuid=stable_uuid("host-state", run["ident"], host),
                    title=f"{host}: {'not reached' if not state['reachable'] else 'run failed'}",
                    description=state["message"] or "no detail",
                    methods=["TEST"],
                    subjects=[common.SubjectReference(subject_uuid=hosts[host], type="inventory-item")],
                    collected=_time(run["finished"]),
                )
            )
    inventory = [
        common.InventoryItem(uuid=uuid, description=host, props=[prop("hostname", host)])
        for host, uuid in hosts.items()
    ]
    controls = sorted({result["control"] for result in document["results"]})
    result = Result(
        uuid=stable_uuid("result", run["ident"]),
        title=f"{run['kind']} {run['ident']} of {name}",
        description=f"landingzone {run['kind']} of {name} (NIS {municipality['nis_code']}) by {run['operator']}.",
        start=_time(run["started"]),
        end=_time(run["finished"]),
        props=[prop("compliance", str(document["summary"]["overall"]["compliance"]))]
        if document["summary"]["overall"]["compliance"] is not None
        else None,
        local_definitions=LocalDefinitions1(inventory_items=inventory) if inventory else None,
        reviewed_controls=common.ReviewedControls(
            control_selections=[
                common.ControlSelections(include_controls=[common.SelectControlById(control_id=c) for c in controls])
                if controls
                else common.ControlSelectionsAll(include_all={})
            ]
        ),
        observations=observations or None,
        risks=risks or None,
        findings=findings or None,
    )
    return AssessmentResults(
        uuid=stable_uuid("assessment-results", run["ident"]),
        metadata=common.Metadata(
            title=f"Landing zone {run['kind']} of {name}, run {run['ident']}",
            last_modified=_time(run["finished"]),
            version=run["ident"],
            oscal_version=OSCAL_VERSION,
            props=[prop("municipality", municipality["name"]), prop("nis-code", municipality["nis_code"])],
        ),
        import_ap=ImportAp(href=f"#{plan.uuid}"),
        results=[result],
        back_matter=common.BackMatter(resources=[plan, _evidence_resource(run_dir, run)]),
    )
