"""Every molecule scenario, run as one pytest test each, so that pytest is the
runner CI reads. `pytest -k <scenario>` runs one of them; a role's own scenario is
`<role>-<scenario>`. A scenario proven on Debian 12 and 13 runs its Debian 12 platform
here and its Debian 13 platform as `<scenario>-trixie` in `make test-slow`
(tests/molecule_scenarios.py)."""

import shutil
from pathlib import Path

import pytest
from molecule_scenarios import run, scenarios

from landingzone.lab.desk_image import ensure_desk_image

ROOT = Path(__file__).resolve().parents[2]
# A failed scenario's whole log is kept here: pytest removes its temporary directories after a few runs.
FAILED_LOGS = ROOT / "tests" / "output" / "molecule"
SCENARIOS = [
    pytest.param(scenario, id=scenario.test_id, marks=[pytest.mark.slow] if scenario.slow else [])
    for scenario in scenarios(ROOT)
]


@pytest.mark.molecule
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario, tmp_path, request):
    env = {}
    if scenario.starts_baselined:
        env["LZ_BASELINED_IMAGE"] = request.getfixturevalue("baselined_host").image
    if scenario.starts_from_desk_image:
        env["LZ_DESK_IMAGE"] = ensure_desk_image(ROOT)
    log = tmp_path / f"molecule-{scenario.test_id}.log"
    code, tail = run(ROOT, scenario, log, **env)
    if code != 0:
        FAILED_LOGS.mkdir(parents=True, exist_ok=True)
        kept = shutil.copy(log, FAILED_LOGS / log.name)
        pytest.fail(f"molecule scenario {scenario.test_id} failed (exit {code}; whole log: {kept}):\n" + tail)
