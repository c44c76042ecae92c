"""results.json: the run and its results as one document, checked against its schema.

New documents are version 2 (results-v2.json); a stored version 1 document is still read
and checked against results-v1.json, so old runs render again. The schemas are the collection's
(plugins/plugin_utils/schema/): the fields of a control result and the sections beside the
results are read from there, so a new optional field or section is an edit of the schema alone.
"""

import datetime

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.results_schema import (
    CURRENT_VERSION,
    SECTIONS,
    required_sections,
    result_fields,
    results_schema,
)
from jsonschema import Draft202012Validator

from landingzone.errors import LandingzoneError
from landingzone.evidence.summary import NONCOMPLIANT, summarise
from landingzone.jsonschema_formats import FORMAT_CHECKER
from landingzone.supplier_role import annotate_waiver_requests

# The state of a supplier role's waiver request, by the status of the control it asks about.
REQUEST_STATE = {**dict.fromkeys(NONCOMPLIANT, "pending"), "waived": "approved"}

SCHEMA_VERSION = CURRENT_VERSION
KNOWN_VERSIONS = (1, 2)
RUN_FIELDS = (
    "ident",
    "kind",
    "started",
    "finished",
    "operator",
    "project_commit",
    "collection_version",
    "ansible_core_version",
    "catalog_hashes",
)
# Fields of a result this module works out itself rather than copying from the engine.
DERIVED_RESULT_FIELDS = ("waiver_requests",)
# The optional fields an engine's result carries are copied as they are, whatever the schema adds.
OPTIONAL_RESULT_FIELDS = tuple(field for field in result_fields()[1] if field not in DERIVED_RESULT_FIELDS)


def _text_time(value):
    """ISO 8601 with an offset. Times without one are taken as UTC: ansible-runner stamps its
    events (``created``) in UTC without saying so. Anything unreadable is left for the schema check."""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.isoformat()
    return value


def result_record(result: dict, default_timestamp) -> dict:
    """One result as the schema has it. Engine records name the control ``id``; both are read."""
    record = {
        "host": result["host"],
        "control": result.get("control") or result.get("id"),
        "title": result.get("title", ""),
        "level": result.get("level"),
        "cyfun": list(result.get("cyfun") or []),
        "cis": list(result.get("cis") or []),
        "status": result["status"],
        "changed": bool(result.get("changed", False)),
        "reason": result.get("reason") or "",
        "evidence": result.get("evidence") if result.get("evidence") is not None else {},
        "waiver": result.get("waiver") or None,
        "reboot_required": bool(result.get("reboot_required", False)),
        # The runner's records carry the event time as `time`.
        "timestamp": _text_time(result.get("timestamp") or result.get("time") or default_timestamp),
    }
    record.update({field: result[field] for field in OPTIONAL_RESULT_FIELDS if field in result})
    return record


def with_waiver_requests(records: list[dict], requests_by_host: dict) -> list[dict]:
    """Each failing or waived record with the waiver requests of the supplier roles on its host.

    ``requests_by_host`` is {host: [{control, role, justification}]}. A failing control has
    no waiver in effect (the engine reports one that is as ``waived``), so each request on it
    is pending: it waits for a waiver with an approver and an expiry on the card. On a waived
    control the card's waiver is in effect, and the request it answers is shown as approved,
    so that the evidence still names the role that asked and why. The status, the reason and
    the counts stay as the engine reported them.
    """
    annotated = []
    for record in records:
        requests = requests_by_host.get(record["host"])
        state = REQUEST_STATE.get(record["status"])
        if requests and state:
            (record,) = annotate_waiver_requests([record], requests, note_in_reason=False)
            if "waiver_requests" in record:
                record["waiver_requests"] = [dict(r, state=state) for r in record["waiver_requests"]]
        annotated.append(record)
    return annotated


def build_document(run: dict, results: list[dict]) -> dict:
    """The results.json document. Only named fields of ``run`` are copied: its ``secrets`` never are."""
    run_section = {field: _text_time(run.get(field)) for field in RUN_FIELDS}
    hosts = {
        name: {
            "reachable": bool(state.get("reachable", True)),
            "failed": bool(state.get("failed", False)),
            "message": state.get("message") or "",
        }
        for name, state in (run.get("hosts") or {}).items()
    }
    records = [result_record(result, run_section["finished"]) for result in results]
    records = with_waiver_requests(records, run.get("waiver_requests") or {})
    for record in records:
        hosts.setdefault(record["host"], {"reachable": True, "failed": False, "message": ""})
    return {
        "schema_version": SCHEMA_VERSION,
        "municipality": dict(run.get("municipality") or {}),
        "run": run_section,
        "hosts": hosts,
        "results": records,
        "summary": summarise(records, hosts),
        # A section the schema requires is there even when empty; another (the log collector's
        # chains) only where the run filled it, so other documents stay as before it existed.
        **{
            section: dict(run.get(section) or {})
            for section in SECTIONS
            if section in required_sections() or run.get(section)
        },
    }


def check_document(document: dict) -> None:
    """Raise LandingzoneError listing where the document breaks its schema."""
    version = document.get("schema_version") if isinstance(document, dict) else None
    if version not in KNOWN_VERSIONS:
        known = ", ".join(map(str, KNOWN_VERSIONS))
        raise LandingzoneError(f"evidence: schema_version: {version!r} is not one this CLI reads ({known})")
    validator = Draft202012Validator(results_schema(version), format_checker=FORMAT_CHECKER)
    problems = [
        f"{'/'.join(map(str, error.absolute_path)) or '(top level)'}: {error.message}"
        for error in validator.iter_errors(document)
    ]
    if problems:
        raise LandingzoneError(f"evidence does not match results-v{version}.json:\n" + "\n".join(problems[:20]))
