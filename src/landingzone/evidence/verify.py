"""Verifying a run's evidence the way an independent auditor does: public certificates only.

Four checks, each with its own verdict: the signature over manifest.sha256, every file
against the manifest, results.json against its schema, and junit.xml and report.html against
what results.json renders to. A check that cannot run because an earlier one found the file
it needs broken says so and does not pass.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from landingzone.errors import LandingzoneError
from landingzone.evidence.document import check_document
from landingzone.evidence.manifest import MANIFEST, SIGNATURE_FILE, manifest_problems
from landingzone.evidence.renderer import REPORT_FILE, rendered_files, renderer_id
from landingzone.evidence.report import RENDERER_META
from landingzone.evidence.signature import SignatureProblem, check_signature
from landingzone.evidence.write import RESULTS_FILE

CHECKS = ("signature", "files", "schema", "rendering")
RUN_MARKERS = (RESULTS_FILE, MANIFEST, SIGNATURE_FILE)


@dataclass
class Verdict:
    check: str
    passed: bool
    detail: str
    problems: list[str] = field(default_factory=list)


@dataclass
class RunVerification:
    run_dir: Path
    verdicts: list[Verdict]

    @property
    def verified(self) -> bool:
        return all(verdict.passed for verdict in self.verdicts)

    def as_dict(self) -> dict:
        return {
            "run": str(self.run_dir),
            "verified": self.verified,
            "checks": [verdict.__dict__ for verdict in self.verdicts],
        }


def load_ca(path: Path) -> x509.Certificate:
    """The CA certificate an auditor trusts; bad input is named before anything is checked."""
    try:
        return x509.load_pem_x509_certificate(Path(path).read_bytes())
    except OSError as exc:
        raise LandingzoneError(f"{path}: --ca: cannot read the CA certificate: {exc.strerror}") from None
    except ValueError:
        raise LandingzoneError(f"{path}: --ca: not a PEM certificate") from None


def signature_verdict(run_dir: Path, ca: x509.Certificate) -> Verdict:
    try:
        facts = check_signature(run_dir, ca)
    except SignatureProblem as problem:
        return Verdict("signature", False, str(problem), problem.files)
    return Verdict("signature", True, facts.describe())


def files_verdict(run_dir: Path) -> Verdict:
    problems = manifest_problems(run_dir)
    if problems:
        return Verdict("files", False, "; ".join(problems), [p.split(":", 1)[0] for p in problems])
    count = sum(1 for line in (run_dir / MANIFEST).read_text(encoding="utf-8").splitlines() if line)
    return Verdict("files", True, f"all {count} files match {MANIFEST}, and no other file is there")


def _document(run_dir: Path) -> tuple[dict | None, Verdict]:
    try:
        document = json.loads((run_dir / RESULTS_FILE).read_text(encoding="utf-8"))
        check_document(document)
    except OSError as exc:
        return None, Verdict("schema", False, f"{RESULTS_FILE}: cannot be read: {exc.strerror}", [RESULTS_FILE])
    except (ValueError, UnicodeDecodeError) as exc:
        return None, Verdict("schema", False, f"{RESULTS_FILE}: not JSON: {exc}", [RESULTS_FILE])
    except LandingzoneError as exc:
        return None, Verdict("schema", False, f"{RESULTS_FILE}: {exc}", [RESULTS_FILE])
    version = document["schema_version"]
    return document, Verdict("schema", True, f"{RESULTS_FILE} matches results-v{version}.json")


def _named_renderer(report: bytes) -> str | None:
    marker = f'<meta name="{RENDERER_META}" content="'.encode()
    start = report.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return report[start : report.find(b'"', start)].decode("ascii", "replace")


def rendering_verdict(run_dir: Path, document: dict | None) -> Verdict:
    if document is None:
        return Verdict("rendering", False, f"not checked: {RESULTS_FILE} is not a valid results document", [])
    expected = rendered_files(document)
    report = run_dir / REPORT_FILE
    named = _named_renderer(report.read_bytes()) if report.is_file() else None
    if named is not None and named != renderer_id():
        return Verdict(
            "rendering",
            False,
            f"not checked: {REPORT_FILE} names renderer {named[:12]}, this landingzone is {renderer_id()[:12]}: "
            "verify with the landingzone version that rendered it, or have the operator render and sign it again "
            "(landingzone report)",
            [],
        )
    differ = [
        name
        for name, content in expected.items()
        if not (run_dir / name).is_file() or (run_dir / name).read_bytes() != content
    ]
    if differ:
        return Verdict(
            "rendering",
            False,
            "; ".join(f"{name}: is not what {RESULTS_FILE} renders to" for name in differ),
            differ,
        )
    return Verdict("rendering", True, f"{' and '.join(expected)} are exactly what {RESULTS_FILE} renders to")


def verify_run(run_dir: Path, ca: x509.Certificate) -> RunVerification:
    run_dir = Path(run_dir)
    document, schema = _document(run_dir)
    verdicts = [signature_verdict(run_dir, ca), files_verdict(run_dir), schema, rendering_verdict(run_dir, document)]
    return RunVerification(run_dir, verdicts)


def is_run_directory(path: Path) -> bool:
    return any((path / marker).exists() for marker in RUN_MARKERS)


def run_directories(target: Path) -> list[Path]:
    """The run itself, or every run beneath a directory (a municipality, the whole evidence tree)."""
    if is_run_directory(target):
        return [target]
    return sorted({marker.parent for name in RUN_MARKERS for marker in target.rglob(name)})
