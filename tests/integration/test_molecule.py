"""Every molecule scenario, run as one pytest test each, so that pytest is the
runner CI reads. `pytest -k <scenario>` runs one of them; a role's own scenario is
`<role>-<scenario>`. A scenario proven on Debian 12 and 13 runs its Debian 12 platform
here and its Debian 13 platform as `<scenario>-trixie` in `make test-slow`
(tests/molecule_scenarios.py)."""

from pathlib import Path

import pytest
from molecule_scenarios import run, scenarios

ROOT = Path(__file__).resolve().parents[2]
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
    code, tail = run(ROOT, scenario, tmp_path / f"molecule-{scenario.test_id}.log", **env)
    if code != 0:
        pytest.fail(f"molecule scenario {scenario.test_id} failed (exit {code}):\n" + tail)
