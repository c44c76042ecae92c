"""Every molecule scenario, run as one pytest test each, so that pytest is the
runner CI reads. `pytest -k <scenario>` runs one of them; a role's own scenario is
`<role>-<scenario>`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from molecule_scenarios import scenarios

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = scenarios(ROOT)
# A whole scenario (create to destroy, two platforms) takes a minute or three;
# the bound only stops a hung one from eating CI's budget.
SCENARIO_TIMEOUT = 15 * 60


@pytest.mark.molecule
@pytest.mark.parametrize(("name", "workdir", "scenario"), SCENARIOS, ids=[found[0] for found in SCENARIOS])
def test_scenario(name, workdir, scenario, tmp_path):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["CONTAINERS_CONF"] = str(ROOT / "lab" / "containers.conf")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["NO_COLOR"] = "1"
    log = tmp_path / f"molecule-{name}.log"
    with open(log, "wb") as out:
        result = subprocess.run(
            ["molecule", "test", "-s", scenario],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=SCENARIO_TIMEOUT,
            check=False,
        )
    if result.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-80:]
        pytest.fail(f"molecule scenario {name} failed (exit {result.returncode}):\n" + "\n".join(tail))
