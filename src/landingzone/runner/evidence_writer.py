"""The evidence library the runner writes through, or a thin stand-in where it is missing.

`landingzone.evidence` writes results.json, junit.xml, report.html and the
manifest, redacts secrets and renders the fleet index. The stand-in keeps fleet
runs working on a checkout without it: the same results.json shape and a
manifest, no reports.
"""

import hashlib
import json
from pathlib import Path

try:  # pragma: no cover - which branch runs depends on the checkout
    from landingzone.evidence import fleet_index, redact, write_evidence
except ImportError:  # pragma: no cover
    REDACTED = "********"

    def redact(obj, secrets):
        ordered = sorted((s for s in secrets or [] if s), key=len, reverse=True)

        def scrub(value):
            if isinstance(value, str):
                for secret in ordered:
                    value = value.replace(secret, REDACTED)
                return value
            if isinstance(value, dict):
                return {scrub(k): scrub(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [scrub(v) for v in value]
            return value

        return scrub(obj)

    def write_evidence(run_dir: Path, run: dict, results: list[dict]) -> dict[str, Path]:
        run_dir.mkdir(parents=True, exist_ok=True)
        public = {k: v for k, v in run.items() if k not in ("secrets", "hosts", "municipality")}
        records = [{**r, "control": r.get("control") or r.get("id")} for r in results]
        document = {
            "schema_version": 1,
            "municipality": run.get("municipality", {}),
            "run": public,
            "hosts": run.get("hosts", {}),
            "results": records,
        }
        results_path = run_dir / "results.json"
        results_path.write_text(json.dumps(redact(document, run.get("secrets")), indent=2), encoding="utf-8")
        manifest = run_dir / "manifest.sha256"
        manifest.write_text(f"{hashlib.sha256(results_path.read_bytes()).hexdigest()}  results.json\n")
        return {"results": results_path, "manifest": manifest}

    def fleet_index(evidence_root: Path) -> Path:
        runs = [str(p.parent.relative_to(evidence_root)) for p in sorted(Path(evidence_root).glob("*/*/results.json"))]
        index = Path(evidence_root) / "index.json"
        index.parent.mkdir(parents=True, exist_ok=True)
        index.write_text(json.dumps({"runs": runs}, indent=2), encoding="utf-8")
        return index


__all__ = ["fleet_index", "redact", "write_evidence"]
