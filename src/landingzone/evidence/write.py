"""write_evidence: everything an auditor gets from one run, written once, redacted first, signed last."""

import json
from pathlib import Path

from landingzone.errors import LandingzoneError
from landingzone.evidence.document import build_document, check_document
from landingzone.evidence.manifest import write_manifest
from landingzone.evidence.redaction import redact
from landingzone.evidence.renderer import JUNIT_FILE, REPORT_FILE, rendered_files
from landingzone.evidence.signature import EvidenceSigner, is_signed, sign_manifest

RESULTS_FILE = "results.json"
__all__ = ["JUNIT_FILE", "REPORT_FILE", "RESULTS_FILE", "render_evidence", "results_text", "write_evidence"]


def results_text(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_evidence(
    run_dir: Path, run: dict, results: list[dict], signer: EvidenceSigner | None = None
) -> dict[str, Path]:
    """Write results.json, junit.xml, report.html and manifest.sha256 into ``run_dir``, and
    manifest.sha256.p7s when a ``signer`` (the fleet's evidence-signing key) is given.

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
    text = results_text(document)
    written = {"results": run_dir / RESULTS_FILE}
    written["results"].write_text(text, encoding="utf-8")
    # Rendered from the text as stored, so that a verifier reading results.json renders the same bytes.
    return {**written, **_render(run_dir, json.loads(text), signer)}


def render_evidence(run_dir: Path, signer: EvidenceSigner | None = None) -> dict[str, Path]:
    """Render junit.xml, report.html and the manifest again from the stored results.json alone.

    For a newer report layout over old runs: results.json itself is never rewritten, and it
    was redacted when it was written. A signed run is signed again, so it needs the ``signer``;
    without one it is left as it is and LandingzoneError says why.
    """
    run_dir = Path(run_dir)
    results_path = run_dir / RESULTS_FILE
    if is_signed(run_dir) and signer is None:
        raise LandingzoneError(
            f"{run_dir}: the run is signed: rendering it again needs the fleet's evidence-signing key "
            "(give the vault password), or its signature would no longer match"
        )
    try:
        document = json.loads(results_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LandingzoneError(f"{results_path}: cannot be read back: {exc}") from None
    check_document(document)
    return {"results": results_path, **_render(run_dir, document, signer)}


def _render(run_dir: Path, document: dict, signer: EvidenceSigner | None) -> dict[str, Path]:
    files = rendered_files(document)
    for name, content in files.items():
        (run_dir / name).write_bytes(content)
    written = {"junit": run_dir / JUNIT_FILE, "report": run_dir / REPORT_FILE, "manifest": write_manifest(run_dir)}
    if signer is not None:
        written["signature"] = sign_manifest(run_dir, signer)
    return written
