"""Benchmark of the restore from the offsite copy on the lab municipality (a script, not a test).

The demo lab is brought up (with its S3 endpoint and the locked bucket) and `landingzone apply
demo` runs site.yml: the first backup of demo-app1 holds the portal's database dump. The backup
server's offsite job copies every repository into the bucket. Then, of that same latest backup,
on demo-app1 into a scratch directory:

- plain restic: `restic restore latest` from the backup server (the REST server), with the
  host's own credentials: the least any recovery has to do;
- from the offsite copy: `rclone copy --s3-version-at` of the repository as it was at a time
  (now), with the vault's recovery credential, into a local directory, then `restic restore
  latest` from it: what `landingzone drill --from-offsite` does before the service's own steps.

With --drill it also times the whole drill of the service from either source (an empty host to
a healthy service). It prints the times and their ratios; the rclone copy is where the extra time
goes (it reads every object of the repository, where restic reads only what the snapshot needs).

It brings up and applies the demo lab: run nothing else on it meanwhile.

    .venv/bin/python benchmarks/offsite_restore.py [--drill] [--keep]
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from ansible.parsing.vault import VaultLib, VaultSecret
from restore_drill import BIN, ROOT, SCRATCH, SOURCE, VAULT_PASSWORD, env, plain_restore_seconds, run

DEMO = ROOT / "inventories" / "demo"
SERVER = "demo-backup1"
SERVICE = "citizen-portal"


def vault_mapping(path: Path, variable: str) -> dict:
    """A mapping of the demo's group_vars with its vault values decrypted."""
    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.read_bytes().strip()))])

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!vault", lambda loader, node: vault.decrypt(loader.construct_scalar(node)).decode())
    return yaml.load(path.read_text(), Loader=Loader)[variable]  # noqa: S506 - a SafeLoader with !vault


def timed_on_source(script: str, environment: dict | None = None) -> float:
    """Seconds a shell script takes on the source host; its secrets in an environment file, never on a command line."""
    with tempfile.NamedTemporaryFile("w", prefix="lz-bench-env-", suffix=".env") as variables:
        variables.write("".join(f"{key}={value}\n" for key, value in (environment or {}).items()))
        variables.flush()
        started = time.monotonic()
        run("podman", "exec", "--env-file", variables.name, SOURCE, "sh", "-c", script)
        return time.monotonic() - started


def restored_size() -> int:
    size = int(run("podman", "exec", SOURCE, "du", "-sb", SCRATCH).stdout.split()[0])
    run("podman", "exec", SOURCE, "rm", "-rf", SCRATCH)
    return size


def offsite_restore() -> tuple[float, float, int]:
    """The repository as of now out of the bucket with the recovery credential, then restic restore from it."""
    card = yaml.safe_load((DEMO / "municipality.yml").read_text())["backup"]["offsite"]
    recovery = vault_mapping(DEMO / "group_vars" / "all" / "vault.yml", "landingzone_offsite_recovery")
    repository_password = vault_mapping(DEMO / "group_vars" / "all" / "vault.yml", "landingzone_backup_passwords")[
        SOURCE
    ]["repository"]
    as_of = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rclone = {
        "RCLONE_CONFIG": "/dev/null",
        "RCLONE_CONFIG_OFFSITE_TYPE": "s3",
        "RCLONE_CONFIG_OFFSITE_PROVIDER": "Other",
        "RCLONE_CONFIG_OFFSITE_ENDPOINT": card["endpoint"],
        "RCLONE_CONFIG_OFFSITE_REGION": "us-east-1",
        "RCLONE_CONFIG_OFFSITE_ACCESS_KEY_ID": recovery["access_key_id"],
        "RCLONE_CONFIG_OFFSITE_SECRET_ACCESS_KEY": recovery["secret_access_key"],
    }
    run("podman", "exec", SOURCE, "rm", "-rf", SCRATCH, f"{SCRATCH}-repository")
    source = f"offsite:{card['bucket']}/{SOURCE}"
    copy_seconds = timed_on_source(
        f"rclone copy --exclude 'locks/**' --s3-version-at {as_of} {source} {SCRATCH}-repository", rclone
    )
    restore_seconds = timed_on_source(
        f"restic --no-cache -r {SCRATCH}-repository restore latest --host {SOURCE} --target {SCRATCH}",
        {"RESTIC_PASSWORD": repository_password},
    )
    size = restored_size()
    run("podman", "exec", SOURCE, "rm", "-rf", f"{SCRATCH}-repository")
    return copy_seconds, restore_seconds, size


def drill_seconds(fleet: Path, *options: str) -> float:
    drilled = run(
        str(BIN / "landingzone"), "--fleet", str(fleet), "--vault-password-file", str(VAULT_PASSWORD), "--json",
        "drill", "demo", "--service", SERVICE, *options,
    )  # fmt: skip
    (record,) = json.loads(drilled.stdout)["drills"]
    if record["status"] != "pass":
        raise SystemExit(f"the drill {' '.join(options)} did not pass: {record}")
    return record["achieved_seconds"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drill", action="store_true", help=f"also drill {SERVICE} from either source")
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="lz-bench-offsite-") as directory:
        # A fleet of its own, so the runs and evidence of the benchmark stay out of the checkout.
        fleet = Path(directory)
        (fleet / "demo").symlink_to(DEMO)
        lz = [str(BIN / "landingzone"), "--fleet", str(fleet)]
        try:
            run(*lz, "lab", "up", "demo")
            run(*lz, "--vault-password-file", str(VAULT_PASSWORD), "apply", "demo", timeout=3600)
            started = time.monotonic()
            run("podman", "exec", SERVER, "systemctl", "start", "landingzone-backup-offsite.service")
            offsite_job = time.monotonic() - started
            plain, plain_bytes = plain_restore_seconds()
            copy, restore, offsite_bytes = offsite_restore()
            drills = (drill_seconds(fleet), drill_seconds(fleet, "--from-offsite")) if args.drill else None
        finally:
            if not args.keep:
                subprocess.run([*lz, "lab", "down", "demo"], env=env(), stdin=subprocess.DEVNULL, capture_output=True)

    mib = 2**20
    print(f"offsite job (every client)             {offsite_job:8.1f} s")
    print(f"plain restic restore from the server   {plain:8.1f} s  ({plain_bytes / mib:.1f} MiB)")
    print(f"offsite: rclone copy as of now         {copy:8.1f} s")
    print(f"offsite: restic restore from the copy  {restore:8.1f} s  ({offsite_bytes / mib:.1f} MiB)")
    print(f"offsite restore / plain restore        {(copy + restore) / plain:8.2f} x")
    if drills:
        print(f"drill {SERVICE} from the server     {drills[0]:8.1f} s")
        print(f"drill {SERVICE} from the offsite    {drills[1]:8.1f} s  ({drills[1] / drills[0]:.2f} x)")
    return 0 if plain_bytes == offsite_bytes else 1


if __name__ == "__main__":
    sys.exit(main())
