"""Every molecule scenario, run as one pytest test each, so that pytest is the
runner CI reads. `pytest -k <scenario>` runs one of them; a role's own scenario is
`<role>-<scenario>`. A scenario proven on Debian 12 and 13 runs its Debian 12 platform
here and its Debian 13 platform as `<scenario>-trixie` in `make test-slow`
(tests/molecule_scenarios.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from molecule_scenarios import scenarios

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = [
    pytest.param(scenario, id=scenario.test_id, marks=[pytest.mark.slow] if scenario.slow else [])
    for scenario in scenarios(ROOT)
]
# A whole scenario (create to destroy) takes a few minutes, twice that while the other pytest
# worker runs a scenario too; the bound only stops a hung one from eating CI's budget.
SCENARIO_TIMEOUT = 30 * 60


@pytest.mark.molecule
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario, tmp_path, request):
    env = dict(os.environ)
    if scenario.starts_baselined:
        env["LZ_BASELINED_IMAGE"] = request.getfixturevalue("baselined_host").image
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["CONTAINERS_CONF"] = str(ROOT / "lab" / "containers.conf")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["NO_COLOR"] = "1"
    command = ["molecule", "test", "-s", scenario.name]
    if scenario.platform:
        command += ["--platform-name", scenario.platform]
        env["LZ_TESTINFRA_HOSTS"] = f"podman://{scenario.platform}"
    log = tmp_path / f"molecule-{scenario.test_id}.log"
    with open(log, "wb") as out:
        result = subprocess.run(
            command,
            cwd=scenario.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=SCENARIO_TIMEOUT,
            check=False,
        )
    if result.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-80:]
        pytest.fail(f"molecule scenario {scenario.test_id} failed (exit {result.returncode}):\n" + "\n".join(tail))
