"""write_evidence: everything an auditor gets from one run, written once, redacted first."""

import json
from pathlib import Path

from landingzone.errors import LandingzoneError
from landingzone.evidence.document import build_document, check_document
from landingzone.evidence.junit import write_junit
from landingzone.evidence.manifest import write_manifest
from landingzone.evidence.redaction import redact
from landingzone.evidence.report import render_report

RESULTS_FILE = "results.json"
JUNIT_FILE = "junit.xml"
REPORT_FILE = "report.html"


def write_evidence(run_dir: Path, run: dict, results: list[dict]) -> dict[str, Path]:
    """Write results.json, junit.xml, report.html and manifest.sha256 into ``run_dir``.

    ``run`` holds ``municipality`` {name, nis_code, display_name?}, ``ident``, ``kind``
    (audit|apply|plan|drill), ``started``, ``finished`` (ISO 8601 with offset, or aware
    datetimes), ``operator``, ``project_commit``, ``collection_version``,
    ``ansible_core_version``, ``catalog_hashes``, ``hosts`` {name: {reachable, failed,
    message}}, optionally ``backup``, ``drill``, ``vpn``, and ``secrets``: values redacted from
    every file and never written themselves. ``results`` are per-control records with a
    ``host`` (the engine's records with ``id`` are accepted as they are).
    """
    run_dir = Path(run_dir)
    secrets = list(run.get("secrets") or [])
    document = redact(build_document(run, results), secrets)
    check_document(document)
    if (run_dir / RESULTS_FILE).exists():
        # Evidence is written once; a second run needs an ident of its own.
        raise LandingzoneError(f"{run_dir / RESULTS_FILE}: evidence of run {run_dir.name!r} exists already")
    run_dir.mkdir(parents=True, exist_ok=True)
    written = {
        "results": run_dir / RESULTS_FILE,
        "junit": run_dir / JUNIT_FILE,
        "report": run_dir / REPORT_FILE,
    }
    written["results"].write_text(
        json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
    )
    write_junit(document, written["junit"])
    written["report"].write_text(render_report(document), encoding="utf-8")
    written["manifest"] = write_manifest(run_dir)
    return written
