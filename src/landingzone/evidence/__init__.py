"""Evidence of every run: results.json, junit.xml, report.html and manifest.sha256, and the fleet index."""

from landingzone.evidence.catalog_hashes import catalog_hashes
from landingzone.evidence.drift import Drift, compute_drift
from landingzone.evidence.fleet import fleet_index
from landingzone.evidence.redaction import REDACTED, redact
from landingzone.evidence.write import render_evidence, write_evidence

__all__ = [
    "REDACTED",
    "Drift",
    "catalog_hashes",
    "compute_drift",
    "fleet_index",
    "redact",
    "render_evidence",
    "write_evidence",
]
