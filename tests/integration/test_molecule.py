"""Every molecule scenario, run as one pytest test each, so that pytest is the
runner CI reads. `pytest -k <scenario>` runs one of them; a role's own scenario is
`<role>-<scenario>`."""

from pathlib import Path

import pytest
from molecule_scenarios import run_scenario, scenarios

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = scenarios(ROOT)


@pytest.mark.molecule
@pytest.mark.parametrize(("name", "workdir", "scenario"), SCENARIOS, ids=[found[0] for found in SCENARIOS])
def test_scenario(name, workdir, scenario, tmp_path):
    code, tail = run_scenario(ROOT, workdir, scenario, tmp_path / f"molecule-{name}.log")
    if code != 0:
        pytest.fail(f"molecule scenario {name} failed (exit {code}):\n" + tail)
