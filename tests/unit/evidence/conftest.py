"""Fixtures of the evidence tests: a realistic run written to a temporary evidence directory."""

import pytest
from evidence_samples import SampleRun

from landingzone.evidence import write_evidence


@pytest.fixture
def sample() -> SampleRun:
    return SampleRun()


@pytest.fixture
def written(tmp_path, sample) -> dict:
    """The files of one sample run, plus the results it was written from."""
    results = sample.results()
    files = write_evidence(tmp_path / "gemtest" / sample.ident, sample.run(), results)
    return {"files": files, "results": results, "run": sample.run()}
