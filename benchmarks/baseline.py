"""Benchmark of the Linux baseline on one lab host (a script, not a test).

Prints the wall time of a first apply, a second apply and an audit of the whole
catalog through the role (one engine call), the module executions per host of
each, and, as the reference in the same run, the same catalog applied the naive
way: one task per control (benchmarks/naive_baseline.yml).

    .venv/bin/python benchmarks/baseline.py [--keep]
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLEET = ROOT / "benchmarks" / "fleet"
INVENTORY = FLEET / "bench"
SETTINGS = FLEET / "settings.yml"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "src"))

from landingzone.lab import municipality_lab  # noqa: E402


def _env(count_file: Path) -> dict:
    env = dict(os.environ)
    env.update(
        PATH=f"{BIN}:{env['PATH']}",
        CONTAINERS_CONF=str(ROOT / "lab" / "containers.conf"),
        ANSIBLE_CALLBACK_PLUGINS=str(ROOT / "benchmarks" / "callback_plugins"),
        ANSIBLE_CALLBACKS_ENABLED="count_executions",
        ANSIBLE_DEPRECATION_WARNINGS="False",
        LZ_COUNT_FILE=str(count_file),
    )
    return env


def play(playbook: str, *extra: str) -> dict:
    """Runs a playbook against the bench host; returns seconds, executions and the recap."""
    with tempfile.NamedTemporaryFile(suffix=".json") as counts:
        started = time.monotonic()
        result = subprocess.run(
            [BIN / "ansible-playbook", "-i", INVENTORY / "hosts.yml", "-e", f"@{SETTINGS}", ROOT / playbook, *extra],
            cwd=ROOT,
            env=_env(Path(counts.name)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.monotonic() - started
        executions = json.loads(Path(counts.name).read_text() or "{}")
    recap = next((line for line in result.stdout.splitlines() if line.startswith("bench-app1 ")), "")
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"{playbook} failed (exit {result.returncode})")
    return {"seconds": seconds, "executions": executions.get("bench-app1", 0), "recap": " ".join(recap.split()[2:])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="leave the bench lab up afterwards")
    args = parser.parse_args()

    municipality_lab.down(ROOT, "bench", log=lambda _: None, fleet=FLEET)
    municipality_lab.up(ROOT, FLEET, "bench", log=lambda _: None)
    try:
        figures = {
            "first apply": play("playbooks/baseline.yml"),
            "second apply": play("playbooks/baseline.yml"),
            "audit": play("playbooks/audit.yml"),
            "naive second apply (reference)": play("benchmarks/naive_baseline.yml"),
        }
    finally:
        if not args.keep:
            municipality_lab.down(ROOT, "bench", log=lambda _: None, fleet=FLEET)

    print(f"{'run':<32} {'seconds':>8} {'module executions':>18}  recap")
    for name, figure in figures.items():
        print(f"{name:<32} {figure['seconds']:>8.1f} {figure['executions']:>18}  {figure['recap']}")
    engine, naive = figures["second apply"], figures["naive second apply (reference)"]
    print(
        f"\nsecond apply: {naive['seconds'] / engine['seconds']:.1f}x faster than one task per control, "
        f"with {engine['executions']} module executions instead of {naive['executions']}"
    )
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak controller memory of one ansible-playbook run: {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
