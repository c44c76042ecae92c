"""Where `make test` finds molecule scenarios: the collection's own in molecule/, and those a
role keeps in roles/<role>/molecule/ (as a role made by `landingzone new-supplier-role` does);
and how a test runs one."""

import os
import subprocess
import sys
from pathlib import Path

# A whole scenario (create to destroy, two platforms) takes a minute or three;
# the bound only stops a hung one from eating CI's budget.
SCENARIO_TIMEOUT = 15 * 60


def scenarios(root: Path) -> list[tuple[str, Path, str]]:
    """(test id, directory molecule runs in, scenario name) of every scenario under `root`."""
    found = [(path.parent.name, root, path.parent.name) for path in (root / "molecule").glob("*/molecule.yml")]
    for path in (root / "roles").glob("*/molecule/*/molecule.yml"):
        role, scenario = path.parents[2], path.parent.name
        found.append((f"{role.name}-{scenario}", role, scenario))
    return sorted(found)


def run_scenario(root: Path, workdir: Path, scenario: str, log: Path, **env_vars: str) -> tuple[int, str]:
    """`molecule test -s SCENARIO` in workdir, its output in `log`: (exit code, the log's last lines)."""
    env = dict(os.environ, **env_vars)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["CONTAINERS_CONF"] = str(root / "lab" / "containers.conf")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["NO_COLOR"] = "1"
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
    return result.returncode, "\n".join(log.read_text(errors="replace").splitlines()[-80:])
