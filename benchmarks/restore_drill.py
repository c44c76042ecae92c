"""Benchmark of the restore drill on the lab municipality (a script, not a test).

The demo lab is brought up and `landingzone apply demo` runs site.yml (baseline, portal,
backups: the first backup of demo-app1 holds the portal's database dump). Then, against that
same latest backup:

- plain restic: `restic restore latest` of demo-app1's snapshot into a scratch directory on
  demo-app1 itself, which is the least any recovery has to do;
- the drill: `landingzone drill demo --service citizen-portal`, an empty host to a serving
  portal (baseline, restore verified against the manifest, the role, the dump loaded, the
  contract's health check), timed by the drill itself from before the host is created.

It prints both times, their ratio and the share of the card's RTO the drill used. It never
runs in `make test`; `benchmarks/backup.py` measures the backup and restore paths on 1 GB.

    flock /tmp/lz-heavy.lock .venv/bin/python benchmarks/restore_drill.py [--service NAME] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
VAULT_PASSWORD = ROOT / "lab" / "demo-vault-password"
SOURCE = "demo-app1"
SCRATCH = "/var/tmp/lz-bench-restore"


def env() -> dict:
    return dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", CONTAINERS_CONF=str(ROOT / "lab" / "containers.conf"))


def run(*argv: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    done = subprocess.run(
        list(argv), env=env(), cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done


def landingzone(fleet: Path, *args: str) -> subprocess.CompletedProcess:
    return run(str(BIN / "landingzone"), "--fleet", str(fleet), "--vault-password-file", str(VAULT_PASSWORD), *args)


def plain_restore_seconds() -> tuple[float, int]:
    """restic restore of the source host's latest snapshot on the source host, with its own credentials."""
    restic = (
        "set -a && . /etc/landingzone-backup/repository.env && set +a && restic --cacert /etc/landingzone-backup/ca.crt"
    )
    run("podman", "exec", SOURCE, "rm", "-rf", SCRATCH)
    started = time.monotonic()
    run("podman", "exec", SOURCE, "sh", "-c", f"{restic} restore latest --host {SOURCE} --target {SCRATCH}")
    seconds = time.monotonic() - started
    size = int(run("podman", "exec", SOURCE, "du", "-sb", SCRATCH).stdout.split()[0])
    run("podman", "exec", SOURCE, "rm", "-rf", SCRATCH)
    return seconds, size


@contextmanager
def applied_demo(keep: bool, prepare=lambda: None):
    """A fleet of its own (the runs and evidence of the benchmark stay out of the checkout) with
    the demo lab up, ``prepare()`` run, then `landingzone apply demo`. Yields (fleet, seconds of
    lab up, seconds of the apply); the lab goes down afterwards unless ``keep``."""
    with tempfile.TemporaryDirectory(prefix="lz-bench-drill-") as directory:
        fleet = Path(directory)
        (fleet / "demo").symlink_to(ROOT / "inventories" / "demo")
        try:
            started = time.monotonic()
            run(str(BIN / "landingzone"), "--fleet", str(fleet), "lab", "up", "demo")
            lab_seconds = time.monotonic() - started
            prepare()
            started = time.monotonic()
            landingzone(fleet, "apply", "demo")
            yield fleet, lab_seconds, time.monotonic() - started
        finally:
            if not keep:
                subprocess.run(
                    [str(BIN / "landingzone"), "--fleet", str(fleet), "lab", "down", "demo"],
                    env=env(),
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    check=False,
                )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", default="citizen-portal", help="the card's service to drill")
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    args = parser.parse_args(argv)

    with applied_demo(args.keep) as (fleet, lab_seconds, apply_seconds):
        plain_seconds, restored_bytes = plain_restore_seconds()
        drilled = landingzone(fleet, "--json", "drill", "demo", "--service", args.service)
        (record,) = json.loads(drilled.stdout)["drills"]

    achieved = record["achieved_seconds"]
    rto = record["rto_minutes"] * 60
    print(f"lab up (5 hosts)                 {lab_seconds:8.1f} s")
    print(f"apply demo (site.yml)            {apply_seconds:8.1f} s")
    print(f"plain restic restore of {SOURCE}  {plain_seconds:8.1f} s  ({restored_bytes / 2**20:.1f} MiB)")
    snapshot = record["snapshot"]["id"][:8]
    print(f"drill {record['service']:<26} {achieved:8.1f} s  status {record['status']}, snapshot {snapshot}")
    print(f"drill / plain restore            {achieved / plain_seconds:8.2f} x")
    print(f"drill / RTO on the card          {achieved / rto:8.2%}  (RTO {record['rto_minutes']} min)")
    return 0 if record["status"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
