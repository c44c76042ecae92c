"""What checking signed evidence costs (a script, not a test).

Writes signed runs of a fictional municipality of 5 hosts with the whole Linux catalog (321
controls each, the statuses spread as in the unit tests), then times, per run:

- `evidence verify` (signature, every file, the schema, and rendering report.html and
  junit.xml again to compare them), against the reference `sha256sum -c manifest.sha256`,
  which checks the files only and proves nothing about who wrote them;
- the signature state the fleet index shows (signature and files, no rendering);
- the OSCAL assessment-results export.

    .venv/bin/python benchmarks/evidence_verify.py [RUNS]
"""

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "src")]

from cryptography import x509  # noqa: E402
from evidence_samples import SampleRun  # noqa: E402

from landingzone.evidence import write_evidence  # noqa: E402
from landingzone.evidence.fleet import run_signatures  # noqa: E402
from landingzone.evidence.oscal_results import assessment_results  # noqa: E402
from landingzone.evidence.verify import verify_run  # noqa: E402
from landingzone.fleet_evidence_key import FleetEvidenceKey  # noqa: E402
from landingzone.fleet_pki import FleetCA  # noqa: E402

PASSWORD = "benchmark vault password"
HOSTS = ("gem-app1", "gem-app2", "gem-app3", "gem-vpn1", "gem-log1")


def per_run(action, runs) -> float:
    start = time.perf_counter()
    for run in runs:
        action(run)
    return (time.perf_counter() - start) / len(runs)


def main(count: int) -> None:
    fleet = Path(tempfile.mkdtemp(prefix="lz-evidence-bench-")) / "fleet"
    FleetCA(fleet).init("benchmark fleet CA", PASSWORD)
    FleetEvidenceKey(fleet).issue(PASSWORD)
    signer = FleetEvidenceKey(fleet).signer(PASSWORD)
    ca = x509.load_pem_x509_certificate((fleet / "pki" / "ca.crt").read_bytes())
    runs = []
    for index in range(count):
        sample = SampleRun(ident=f"20261128T10{index:04d}Z-audit", hosts=HOSTS, controls=321)
        run_dir = fleet / "evidence" / "gemtest" / sample.ident
        write_evidence(run_dir, sample.run(), sample.results(), signer)
        runs.append(run_dir)
    size = sum(path.stat().st_size for path in runs[0].iterdir())

    def sha256sum(run):
        subprocess.run(["sha256sum", "--quiet", "-c", "manifest.sha256"], cwd=run, check=True)

    def export(run):
        assessment_results(json.loads((run / "results.json").read_text()), run).oscal_serialize_json()

    reference = per_run(sha256sum, runs)
    verify = per_run(lambda run: verify_run(run, ca), runs)
    start = time.perf_counter()
    run_signatures(fleet / "evidence")
    index = (time.perf_counter() - start) / count
    oscal = per_run(export, runs)
    print(f"{count} runs of {len(HOSTS)} hosts x 321 controls, {size / 1e6:.2f} MB of evidence each")
    print(f"sha256sum -c (reference)   {reference * 1000:7.0f} ms per run")
    print(f"evidence verify            {verify * 1000:7.0f} ms per run  ({verify / reference:.1f} x the reference)")
    print(f"fleet index signature      {index * 1000:7.0f} ms per run  ({index / reference:.1f} x the reference)")
    print(f"OSCAL assessment results   {oscal * 1000:7.0f} ms per run")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
