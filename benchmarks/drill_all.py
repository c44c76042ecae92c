"""Benchmark of the whole-municipality drill on the lab municipality (a script, not a test).

The demo lab is brought up and `landingzone apply demo` runs site.yml (baseline, log collector,
portal, backups: the first backup of demo-app1 holds the portal's database dump and the
register's files). Then, against that same latest backup:

- plain restic: `restic restore latest` of demo-app1's snapshot into a scratch directory on
  demo-app1 itself, the least any recovery of the tier-1 data has to do;
- the drill: `landingzone drill demo --all`, from nothing to every tier-1 service healthy: the
  empty hosts started, the log collector re-applied (baseline, its role), the app host's
  baseline and its logs proven at the rebuilt collector, then each service restored, its role
  applied, its dumps loaded and its health checked. Timed by the drill itself from before the
  first host is created.

With --from-offsite the backup server's offsite job first copies every repository into the lab's
S3 bucket, and the drill is `drill demo --all --from-offsite`: each rebuilt host reads its source
host's repository out of the bucket once (rclone, the recovery credential), and every service on
it restores from that copy. Its
reference is then a plain restore of the same data from the same copy: `rclone copy` of the
repository and `restic restore latest` from it (benchmarks/offsite_restore.py), beside the plain
restore from the server.

It prints the time to each service and to the whole set against their RTOs and against the plain
restore, and where the time went, from the drill's own records (evidence section drill). It never
runs in `make test`.

It brings up and applies the demo lab: run nothing else on it meanwhile.

    .venv/bin/python benchmarks/drill_all.py [--from-offsite] [--keep]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from offsite_restore import SERVER, offsite_restore
from restore_drill import BIN, ROOT, SOURCE, VAULT_PASSWORD, applied_demo, env, plain_restore_seconds, run

REGISTER = "/srv/bevolkingsregister"
# The register's files, for the plain restore and the drill alike (several owners, one binary).
SEED = f"""
set -e
install -d -m 0750 -o root -g adm {REGISTER} {REGISTER}/akten
printf 'rijksregisternummer;naam\\n85.07.30-033.28;An Peeters\\n' > {REGISTER}/personen.csv
head -c 300000 /dev/urandom > {REGISTER}/akten/geboorte-2026-0042.pdf
chown operator:adm {REGISTER}/akten/geboorte-2026-0042.pdf
"""


def _print_breakdown(summary: dict, plain_seconds: float) -> None:
    hosts = summary["rebuilt_hosts"]
    whole = summary["set"]
    started = hosts[0]["hosts_started_seconds"] if hosts else 0.0
    print(f"empty hosts started ({len(hosts)})        {started:8.1f} s")
    for host in hosts:
        print(f"  {host['rebuilt']:<22} baseline     {host['baseline_seconds']:8.1f} s  ({host['role']})")
        if host.get("log_collector_seconds") is not None:
            print(f"  {host['rebuilt']:<22} its role     {host['log_collector_seconds']:8.1f} s")
        if host.get("logs_verified_seconds") is not None:
            print(f"  {host['rebuilt']:<22} logs proven  {host['logs_verified_seconds']:8.1f} s  to {host['logs_to']}")
        print(f"  {host['rebuilt']:<22} ready at     {host['ready_seconds']:8.1f} s")
    for record in summary["drills"]:
        steps = record.get("steps_seconds") or {}
        shown = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items())
        print(f"  {record['service']:<22} steps        {shown}")
        source = record.get("source") or {}
        # One copy out of the bucket per host: its time is in the restore step of the service that made it.
        if source.get("kind") == "offsite" and source.get("copied_by") == record["service"]:
            print(
                f"  {record['service']:<22} of the restore: the host's bucket copy {source.get('copy_seconds')} s"
                f" ({source.get('objects')} objects, {(source.get('bytes') or 0) / 2**20:.1f} MiB),"
                f" snapshot chosen by {source.get('chosen_by')}"
            )
        elif source.get("kind") == "offsite":
            print(f"  {record['service']:<22} of the restore: no copy, the one {source.get('copied_by')} made")
    print()
    for record in summary["drills"]:
        achieved, rto = record["achieved_seconds"], record["rto_minutes"] * 60
        print(
            f"{record['service']:<24} healthy at {achieved:8.1f} s  {record['status']}, "
            f"{achieved / rto:6.2%} of its RTO ({record['rto_minutes']} min), {achieved / plain_seconds:6.1f} x plain"
        )
    achieved = whole["achieved_seconds"]
    if achieved is not None:
        print(
            f"{'the whole set':<24} healthy at {achieved:8.1f} s  {whole['status']}, "
            f"{achieved / plain_seconds:.1f} x plain"
        )
    else:
        print(f"the whole set: {whole['status']}, not back: {', '.join(whole['not_back'])}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-offsite", action="store_true", help="drill from the offsite copy alone")
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    args = parser.parse_args(argv)
    options = ["--all", "--from-offsite"] if args.from_offsite else ["--all"]

    with applied_demo(args.keep, lambda: run("podman", "exec", SOURCE, "sh", "-c", SEED)) as applied:
        fleet, lab_seconds, apply_seconds = applied
        if args.from_offsite:
            started = time.monotonic()
            run("podman", "exec", SERVER, "systemctl", "start", "landingzone-backup-offsite.service")
            offsite_job_seconds = time.monotonic() - started
            copy_seconds, offsite_restore_seconds, offsite_bytes = offsite_restore()
        plain_seconds, restored_bytes = plain_restore_seconds()
        started = time.monotonic()
        # Not through run(): a drill that fails still prints its records, which say where.
        drilled = subprocess.run(
            [str(BIN / "landingzone"), "--fleet", str(fleet), "--vault-password-file", str(VAULT_PASSWORD),
             "--json", "drill", "demo", *options],
            env=env(), cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall_seconds = time.monotonic() - started
    if not drilled.stdout.startswith("{"):
        raise SystemExit(f"drill demo {' '.join(options)}: exit {drilled.returncode}\n{drilled.stderr[-3000:]}")
    summary = json.loads(drilled.stdout)

    reference = plain_seconds
    print(f"lab up                                {lab_seconds:8.1f} s")
    print(f"apply demo (site.yml)                 {apply_seconds:8.1f} s")
    print(f"plain restic restore of {SOURCE}      {plain_seconds:8.1f} s  ({restored_bytes / 2**20:.1f} MiB)")
    if args.from_offsite:
        reference = copy_seconds + offsite_restore_seconds
        print(f"offsite job (every client)            {offsite_job_seconds:8.1f} s")
        print(f"plain from the offsite copy           {reference:8.1f} s  ({offsite_bytes / 2**20:.1f} MiB):"
              f" rclone copy {copy_seconds:.1f} s, restic restore {offsite_restore_seconds:.1f} s")  # fmt: skip
    print(f"drill demo {' '.join(options):<18} (wall) {wall_seconds:8.1f} s")
    print()
    # The ratios are against the plain restore from the same source as the drill's.
    _print_breakdown(summary, reference)
    return 0 if summary["set"]["status"] == "pass" else 1


if __name__ == "__main__":
    sys.exit(main())
