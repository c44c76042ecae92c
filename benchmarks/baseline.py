"""Benchmark of the Linux baseline on one lab host (a script, not a test).

Prints the wall time of a first apply, a second apply and an audit of the whole
catalog through the role (one engine call), the module executions per host of
each, and, as the reference in the same run, the same catalog applied the naive
way: one task per control (benchmarks/naive_baseline.yml).

With --stock, on a stock Debian server instead (lab/stock-image, reached over SSH,
sudo with the become password from the vault): the first apply (packages included)
and the second, and what commit confirmed costs: the same one-file drift repaired
with it off and on, three times each (median).

    .venv/bin/python benchmarks/baseline.py [--stock] [--keep]
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
SETTINGS = FLEET / "settings.yml"
VAULT = ["--vault-password-file", str(ROOT / "lab" / "demo-vault-password")]
BECOME = ["-e", f"@{ROOT / 'lab' / 'stock-image' / 'become.yml'}"]
DRIFT = "sed -i 's/^PASS_MAX_DAYS.*/PASS_MAX_DAYS 99999/' /etc/login.defs"
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


def play(playbook: str, *extra: str, municipality: str = "bench") -> dict:
    """Runs a playbook against the bench host; returns seconds, executions and the recap."""
    host = f"{municipality}-app1"
    with tempfile.NamedTemporaryFile(suffix=".json") as counts:
        started = time.monotonic()
        inventory = FLEET / municipality / "hosts.yml"
        result = subprocess.run(
            [BIN / "ansible-playbook", "-i", inventory, "-e", f"@{SETTINGS}", ROOT / playbook, *extra],
            cwd=ROOT,
            env=_env(Path(counts.name)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.monotonic() - started
        executions = json.loads(Path(counts.name).read_text() or "{}")
    recap = next((line for line in result.stdout.splitlines() if line.startswith(f"{host} ")), "")
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"{playbook} failed (exit {result.returncode})")
    return {"seconds": seconds, "executions": executions.get(host, 0), "recap": " ".join(recap.split()[2:])}


def drift(municipality: str) -> None:
    """One file the baseline owns, changed behind its back, so the next apply has one thing to commit."""
    subprocess.run(
        ["podman", "exec", f"{municipality}-app1", "sh", "-c", DRIFT], env=_env(Path("/dev/null")), check=True
    )


def stock_figures() -> dict:
    """The baseline on a stock server, and commit confirmed off and on for the same repair."""
    apply = ("playbooks/baseline.yml", *VAULT, *BECOME)
    figures = {
        "stock first apply (packages)": play(*apply, municipality="benchstock"),
        "stock second apply": play(*apply, municipality="benchstock"),
    }
    for label, seconds in (("off", 0), ("on", 30)):
        runs = []
        for _ in range(3):
            drift("benchstock")
            runs.append(
                play(*apply, "-e", f"linux_baseline_commit_confirm_seconds={seconds}", municipality="benchstock")
            )
        runs.sort(key=lambda r: r["seconds"])
        figures[f"repair, commit confirmed {label}"] = runs[1]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="leave the bench lab up afterwards")
    parser.add_argument("--stock", action="store_true", help="a stock Debian server, and commit confirmed's cost")
    args = parser.parse_args()

    municipality = "benchstock" if args.stock else "bench"
    municipality_lab.down(ROOT, municipality, log=lambda _: None, fleet=FLEET)
    municipality_lab.up(ROOT, FLEET, municipality, log=lambda _: None)
    try:
        if args.stock:
            figures = stock_figures()
        else:
            figures = {
                "first apply": play("playbooks/baseline.yml"),
                "second apply": play("playbooks/baseline.yml"),
                "audit": play("playbooks/audit.yml"),
                "naive second apply (reference)": play("benchmarks/naive_baseline.yml"),
            }
    finally:
        if not args.keep:
            municipality_lab.down(ROOT, municipality, log=lambda _: None, fleet=FLEET)

    print(f"{'run':<32} {'seconds':>8} {'module executions':>18}  recap")
    for name, figure in figures.items():
        print(f"{name:<32} {figure['seconds']:>8.1f} {figure['executions']:>18}  {figure['recap']}")
    if args.stock:
        off, on = figures["repair, commit confirmed off"], figures["repair, commit confirmed on"]
        # The confirmation is a module run inside the engine's task: the callback counts the task once.
        print(
            f"\ncommit confirmed: {on['seconds'] - off['seconds']:+.1f} s per host for the same repair "
            f"({on['seconds'] / off['seconds']:.2f}x), one more module execution inside the engine task"
        )
    else:
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
