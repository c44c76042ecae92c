"""Drift between two runs of one municipality: controls that broke, and controls that got fixed.

A control is compared on the same host. Only a move between the compliant side (pass, fixed)
and the non-compliant side (fail, error) counts: waived and not_applicable say nothing about
the host's state, and pass to fixed is the same outcome seen by an apply.
"""

from dataclasses import dataclass, field

from landingzone.evidence.summary import COMPLIANT, NONCOMPLIANT


@dataclass
class Drift:
    went_failing: list[tuple[str, str]] = field(default_factory=list)  # (host, control), pass → fail
    went_passing: list[tuple[str, str]] = field(default_factory=list)  # (host, control), fail → pass

    @property
    def counts(self) -> dict[str, int]:
        return {"went_failing": len(self.went_failing), "went_passing": len(self.went_passing)}


def _side(status: str) -> str | None:
    if status in COMPLIANT:
        return "pass"
    if status in NONCOMPLIANT:
        return "fail"
    return None


def _key(result: dict) -> tuple[str, str]:
    # results.json names the control `control`; the engine's own records call it `id`.
    return result["host"], result.get("control") or result["id"]


def compute_drift(previous_results: list[dict], latest_results: list[dict]) -> Drift:
    before = {_key(r): _side(r["status"]) for r in previous_results}
    drift = Drift()
    for result in latest_results:
        key = _key(result)
        was, now = before.get(key), _side(result["status"])
        if was == "pass" and now == "fail":
            drift.went_failing.append(key)
        elif was == "fail" and now == "pass":
            drift.went_passing.append(key)
    drift.went_failing.sort()
    drift.went_passing.sort()
    return drift
