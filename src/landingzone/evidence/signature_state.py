"""The signature state of each stored run, for the fleet index: signed and intact, unsigned, or broken.

Lighter than `evidence verify`: it checks the signature and every file against the manifest,
not the schema or the rendering, so that the index stays quick over years of runs.
"""

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from landingzone.evidence.manifest import manifest_problems
from landingzone.evidence.signature import SignatureProblem, check_signature, is_signed

VERIFIED, UNSIGNED, BROKEN, NO_CA = "signed", "unsigned", "broken", "not checked"


@dataclass(frozen=True)
class SignatureState:
    state: str
    detail: str


def load_fleet_ca(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(Path(path).read_bytes())
    except (OSError, ValueError):
        return None


def signature_state(run_dir: Path, ca: x509.Certificate | None) -> SignatureState:
    if not is_signed(run_dir):
        return SignatureState(UNSIGNED, "no signature: anyone who can write the evidence could have changed it")
    if ca is None:
        return SignatureState(NO_CA, "signed, but the fleet has no readable pki/ca.crt to check it against")
    try:
        facts = check_signature(run_dir, ca)
    except SignatureProblem as problem:
        return SignatureState(BROKEN, str(problem))
    problems = manifest_problems(run_dir)
    if problems:
        return SignatureState(BROKEN, "; ".join(problems))
    return SignatureState(VERIFIED, f"signed {facts.signed_at.isoformat()}, serial {facts.serial}; files intact")
