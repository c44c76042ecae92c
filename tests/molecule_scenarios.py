"""Where `make test` finds molecule scenarios, and how it splits them.

Scenarios live in molecule/ (the collection's own) and in roles/<role>/molecule/ (as a role made
by `landingzone new-supplier-role` keeps them). A scenario that proves the same logic on Debian 12
and 13, one platform each, and lets the runner choose its testinfra hosts (`${LZ_TESTINFRA_HOSTS`
in molecule.yml), is run as two tests: Debian 12 in `make test`, Debian 13 in `make test-slow`.
Any other scenario runs whole in `make test`."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

SUITES = {"bookworm": "", "trixie": "trixie"}  # the suite of the image -> the test id's suffix
CHOOSABLE_HOSTS = "${LZ_TESTINFRA_HOSTS"
# A scenario that only needs a hardened host may start from the baselined image tests share.
BASELINED_IMAGE = "${LZ_BASELINED_IMAGE"
# A desk scenario starts from the lab's desk image (landingzone.lab.desk_image), built before it runs.
DESK_IMAGE = "${LZ_DESK_IMAGE"
# A whole scenario (create to destroy) takes a few minutes, twice that while the other pytest
# worker runs a scenario too; the bound only stops a hung one from eating CI's budget.
SCENARIO_TIMEOUT = 30 * 60


@dataclass(frozen=True)
class Scenario:
    test_id: str
    workdir: Path  # the directory molecule runs in
    name: str
    platform: str | None = None  # only this platform, or all of them
    slow: bool = False
    starts_baselined: bool = False
    starts_from_desk_image: bool = False


def _platform_per_suite(molecule_yml: Path) -> dict[str, str] | None:
    """{suite: platform} when the scenario runs one platform per lab suite and lets the runner
    choose the hosts testinfra checks; None when it must run whole."""
    text = molecule_yml.read_text(encoding="utf-8")
    if CHOOSABLE_HOSTS not in text:
        return None
    platforms = yaml.safe_load(text).get("platforms") or []
    by_suite = {}
    for platform in platforms:
        suite = str(platform.get("image", "")).rpartition(":")[2]
        if suite not in SUITES or suite in by_suite:
            return None
        by_suite[suite] = platform["name"]
    return by_suite if set(by_suite) == set(SUITES) else None


def _variants(test_id: str, workdir: Path, name: str, molecule_yml: Path) -> list[Scenario]:
    text = molecule_yml.read_text(encoding="utf-8")
    baselined, desk = BASELINED_IMAGE in text, DESK_IMAGE in text
    by_suite = _platform_per_suite(molecule_yml)
    if by_suite is None:
        return [Scenario(test_id, workdir, name, starts_baselined=baselined, starts_from_desk_image=desk)]
    return [
        Scenario(f"{test_id}-{suffix}" if suffix else test_id, workdir, name, by_suite[suite], slow=bool(suffix))
        for suite, suffix in SUITES.items()
    ]


def scenarios(root: Path) -> list[Scenario]:
    """Every scenario under `root`, split by suite where it allows it, sorted by test id."""
    found = []
    for path in (root / "molecule").glob("*/molecule.yml"):
        found += _variants(path.parent.name, root, path.parent.name, path)
    for path in (root / "roles").glob("*/molecule/*/molecule.yml"):
        role, scenario = path.parents[2], path.parent.name
        found += _variants(f"{role.name}-{scenario}", role, scenario, path)
    return sorted(found, key=lambda s: s.test_id)


def run(root: Path, scenario: Scenario, log: Path, **env_vars: str) -> tuple[int, str]:
    """`molecule test` of one scenario (its one platform, if it names one), its output in
    `log`, `env_vars` on top of this process's environment: (exit code, the log's last lines)."""
    env = dict(os.environ, **env_vars)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["CONTAINERS_CONF"] = str(root / "lab" / "containers.conf")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    env["NO_COLOR"] = "1"
    command = ["molecule", "test", "-s", scenario.name]
    if scenario.platform:
        command += ["--platform-name", scenario.platform]
        env["LZ_TESTINFRA_HOSTS"] = f"podman://{scenario.platform}"
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
    lines = log.read_text(errors="replace").splitlines()
    return result.returncode, "\n".join(_last_baseline_summary(lines) + lines[-80:])


# The baseline's per-status summary names the ids of every status but pass: after a failed
# idempotence, the controls the second apply changed. It is often above the log's last lines.
SUMMARY_TASK = "Summarise the baseline per status"


def _last_baseline_summary(lines: list[str]) -> list[str]:
    starts = [index for index, line in enumerate(lines) if SUMMARY_TASK in line]
    if not starts or starts[-1] >= len(lines) - 80:
        return []  # none, or already within the last lines
    block = lines[starts[-1] : starts[-1] + 400]
    end = next((index for index, line in enumerate(block[1:], 1) if line.startswith("TASK [")), len(block))
    return [*block[:end], "..."]
