"""Every molecule scenario, run as one pytest test each, so that pytest is the
runner CI reads. `pytest -k <scenario>` runs one of them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
# A whole scenario (create to destroy, two platforms) takes a minute or three;
# the bound only stops a hung one from eating CI's budget.
SCENARIO_TIMEOUT = 15 * 60


@pytest.mark.molecule
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario, tmp_path):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["CONTAINERS_CONF"] = str(ROOT / "lab" / "containers.conf")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["NO_COLOR"] = "1"
    log = tmp_path / f"molecule-{scenario}.log"
    with open(log, "wb") as out:
        result = subprocess.run(
            ["molecule", "test", "-s", scenario],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=SCENARIO_TIMEOUT,
            check=False,
        )
    if result.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-80:]
        pytest.fail(f"molecule scenario {scenario} failed (exit {result.returncode}):\n" + "\n".join(tail))
