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
    datetimes; naive ones are taken as UTC), ``operator``, ``project_commit``, ``collection_version``,
    ``ansible_core_version``, ``catalog_hashes``, ``hosts`` {name: {reachable, failed,
    message}}, optionally ``backup``, ``drill``, ``vpn``, ``logs``, ``waiver_requests`` ({host: [{control,
    role, justification}]}: the requests of the supplier roles on each host, shown beside its
    failing controls), and ``secrets``: values redacted from
    every file and never written themselves. ``results`` are per-control records with a
    ``host`` (the engine's records with ``id``, and a ``time`` from the runner, are accepted as
    they are). Raises LandingzoneError, before writing anything, when the document would break
    results-v2.json, or when ``run_dir`` holds evidence already.
    """
    run_dir = Path(run_dir)
    secrets = list(run.get("secrets") or [])
    document = redact(build_document(run, results), secrets)
    check_document(document)
    if (run_dir / RESULTS_FILE).exists():
        # Evidence is written once; a second run needs an ident of its own.
        raise LandingzoneError(f"{run_dir / RESULTS_FILE}: evidence of run {run_dir.name!r} exists already")
    run_dir.mkdir(parents=True, exist_ok=True)
    written = {"results": run_dir / RESULTS_FILE}
    written["results"].write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {**written, **_render(run_dir, document)}


def render_evidence(run_dir: Path) -> dict[str, Path]:
    """Render junit.xml, report.html and the manifest again from the stored results.json alone.

    For a newer report layout over old runs: results.json itself is never rewritten, and it
    was redacted when it was written.
    """
    run_dir = Path(run_dir)
    results_path = run_dir / RESULTS_FILE
    try:
        document = json.loads(results_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LandingzoneError(f"{results_path}: cannot be read back: {exc}") from None
    check_document(document)
    return {"results": results_path, **_render(run_dir, document)}


def _render(run_dir: Path, document: dict) -> dict[str, Path]:
    junit = write_junit(document, run_dir / JUNIT_FILE)
    report = run_dir / REPORT_FILE
    report.write_text(render_report(document), encoding="utf-8")
    return {"junit": junit, "report": report, "manifest": write_manifest(run_dir)}
