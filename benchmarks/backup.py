"""Benchmark of a backup and a restore through the roles against plain restic (a script, not a test).

One lab container gets the backup_server and backup_agent roles (the server backs itself up,
as every server does). About 1 GB of mixed data is made in it: many small text files, some
medium files and a few large incompressible ones. Then, on the same data, the same REST server
and the same TLS:

- through the roles: the agent's backup service (unlock, manifest with sha256 of every file,
  restic backup of the host's paths) and the restic_restore_verify module (restore into a
  scratch directory and compare every file with the manifest);
- plain restic: restic backup of the data directory into a second, empty repository, and
  restic restore of it.

It prints the seconds of each and the ratio. It never runs in `make test`.

Then the retention, on the controller (no container): a local repository with --snapshots (500)
snapshots, one a day, each arrived when it claims, and the same policy (the card's defaults)
applied twice to copies of it: by the role's keeper (landingzone-backup-keeper retention: by
arrival, with its arrival index; first with the index still to build, then again on a repository
whose index is built, as on a server where the index timer runs every few minutes), and by plain
`restic forget --prune` with the same keep options. It prints the seconds and the peak memory
(the largest process of each run) of each, and the ratios.

    .venv/bin/python benchmarks/backup.py [--size-mb 1000] [--keep] [--only backup|retention]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "collections"))
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._restic_arrivals import (  # noqa: E402
    DEFAULT_RETENTION,
)

BIN = Path(sys.executable).parent
CONTAINER = "lz-bench-backup"
IMAGE = "localhost/landingzone-lab:bookworm"
DATA = "/srv/bench"
CACERT = "/etc/landingzone-backup/ca.crt"


def env() -> dict:
    return dict(
        os.environ,
        PATH=f"{BIN}:{os.environ['PATH']}",
        CONTAINERS_CONF=str(ROOT / "lab" / "containers.conf"),
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / "collections"),
        ANSIBLE_ROLES_PATH=str(ROOT / "roles"),
        ANSIBLE_DEPRECATION_WARNINGS="False",
        ANSIBLE_HOST_KEY_CHECKING="False",
    )


def podman(*args, check=True):
    return subprocess.run(
        ["podman", *args], env=env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, check=check
    )


def inside(command: str, check=True) -> str:
    done = podman("exec", CONTAINER, "bash", "-c", command, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"{command}\nexit {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def timed(function, *args):
    started = time.monotonic()
    result = function(*args)
    return time.monotonic() - started, result


def make_data(size_mb: int):
    """Small text files (10%), medium files (20%), large incompressible files (70%)."""
    small_files = max(1, size_mb * 1024 // 10 // 4)  # 4 KiB each
    medium_files = max(1, size_mb // 5)  # 1 MiB each
    large_files = 3
    large_mb = max(1, size_mb * 7 // 10 // large_files)
    script = f"""
set -e
mkdir -p {DATA}/text {DATA}/medium {DATA}/large
python3 - <<'EOF'
import os, random
random.seed(7)
words = "burgerzaken bevolking register akte geboorte huwelijk adres gemeente dossier".split()
for i in range({small_files}):
    folder = f"{DATA}/text/{{i // 1000:03d}}"
    os.makedirs(folder, exist_ok=True)
    with open(f"{{folder}}/note-{{i}}.txt", "w") as out:
        out.write(" ".join(random.choice(words) for _ in range(520))[:4096])
EOF
for i in $(seq {medium_files}); do head -c 1048576 /dev/urandom | base64 > {DATA}/medium/doc-$i.txt; done
for i in $(seq {large_files}); do head -c {large_mb}M /dev/urandom > {DATA}/large/scan-$i.bin; done
du -sm {DATA} | cut -f1
"""
    return int(inside(script).strip())


def apply_roles(workdir: Path, passwords: dict):
    inventory = workdir / "hosts.yml"
    inventory.write_text(
        json.dumps(
            {
                "all": {
                    "hosts": {CONTAINER: {"ansible_connection": "containers.podman.podman"}},
                    "children": {"backup_servers": {"hosts": {CONTAINER: {}}}},
                }
            }
        )
    )
    subprocess.run(
        [BIN / "python", "-m", "landingzone.pki", str(workdir / "pki"), CONTAINER],
        env=dict(env(), PYTHONPATH=str(ROOT / "src")),
        stdin=subprocess.DEVNULL,
        check=True,
    )
    pki = workdir / "pki"
    settings = {
        "backup_server_ca_cert": (pki / "ca.crt").read_text(),
        "backup_server_tls_cert": (pki / f"{CONTAINER}.crt").read_text(),
        "backup_server_tls_key": (pki / f"{CONTAINER}.key").read_text(),
        "backup_server_clients": [
            {"name": name, "rest_password": p["rest"], "repository_password": p["repository"]}
            for name, p in passwords.items()
        ],
        "backup_agent_server_url": f"https://{CONTAINER}:8443",
        "backup_agent_ca_cert": (pki / "ca.crt").read_text(),
        "backup_agent_rest_password": passwords[CONTAINER]["rest"],
        "backup_agent_repository_password": passwords[CONTAINER]["repository"],
        "backup_agent_extra_paths": [DATA],
        "backup_agent_initial_backup": False,
    }
    (workdir / "settings.json").write_text(json.dumps(settings))
    (workdir / "play.yml").write_text(
        "- hosts: all\n  roles:\n    - cyberveilig.landingzone.backup_server\n"
        "    - cyberveilig.landingzone.backup_agent\n"
    )
    run_play(inventory, workdir)
    return inventory


def run_play(inventory: Path, workdir: Path) -> None:
    """Apply workdir's play.yml with its settings.json; a failed play ends the benchmark."""
    done = subprocess.run(
        [BIN / "ansible-playbook", "-i", inventory, "-e", f"@{workdir / 'settings.json'}", workdir / "play.yml"],
        env=env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stdout[-4000:])


def verify_through_module(inventory: Path, passwords: dict):
    repository = inside("grep ^RESTIC_REPOSITORY= /etc/landingzone-backup/repository.env").split("=", 1)[1].strip()
    args = {
        "repository": repository,
        "password": passwords[CONTAINER]["repository"],
        "cacert": CACERT,
        "cache_dir": "/var/cache/restic",
        "host": CONTAINER,
        "paths": [DATA],
    }
    empty_config = inventory.parent / "empty.cfg"
    empty_config.write_text("")
    done = subprocess.run(
        [BIN / "ansible", "-i", inventory, CONTAINER, "-m", "cyberveilig.landingzone.restic_restore_verify"]
        + ["-a", json.dumps(args)],
        # Only the JSON callback: the checkout's ansible.cfg adds profile_tasks, which prints too.
        env=dict(
            env(),
            ANSIBLE_CONFIG=str(empty_config),
            ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
            ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if not done.stdout.lstrip().startswith("{"):
        raise SystemExit(f"the verify module did not answer in JSON:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    result = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"][CONTAINER]
    if not result.get("verified"):
        raise SystemExit(f"restore verification failed: {result.get('msg')}")
    return result


def plain_restic(passwords: dict, *args) -> str:
    plain = passwords["bench-plain"]
    location = f"rest:https://bench-plain:{plain['rest']}@{CONTAINER}:8443/bench-plain/"
    return inside(
        f"RESTIC_REPOSITORY={shlex.quote(location)} RESTIC_PASSWORD={shlex.quote(plain['repository'])} "
        f"restic --cacert {CACERT} --cache-dir /var/cache/restic-plain {' '.join(args)}"
    )


# ---- the retention -----------------------------------------------------------------------------------
# The card's defaults, as the keeper applies them.
RETENTION = dict(DEFAULT_RETENTION)
# restic's own options among them: it knows no last good snapshots and no minimum hold.
PLAIN_KEEP = ("keep_daily", "keep_weekly", "keep_monthly", "keep_yearly")
KEEPER = ROOT / "roles" / "backup_server" / "files" / "landingzone-backup-keeper"
PEAK = "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; " \
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"  # fmt: skip


def measured(command, env):
    """(seconds, peak KiB of the largest process) of ``command``; it must succeed."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *map(str, command)], env=env, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{command[:3]} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, int(done.stderr.strip().splitlines()[-1])


def make_history(repository: Path, count: int, env: dict):
    """``count`` snapshots, one a day back from yesterday, each arrived when it claims."""
    subprocess.run(["restic", "-r", repository, "init", "-q"], env=env, check=True, stdin=subprocess.DEVNULL)
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)

    def one(day):
        claimed = now - datetime.timedelta(days=day, minutes=2)
        stamp = claimed.strftime("%Y-%m-%d %H:%M:%S")
        done = subprocess.run(
            ["restic", "-r", repository, "backup", "--json", "--host", "bench", "--time", stamp, "--stdin",
             "--stdin-filename", "register.csv"],
            env=env, input=f"day {day}\n" * (100 + day % 7), capture_output=True, text=True, check=True,
        )  # fmt: skip
        short = json.loads(done.stdout.splitlines()[-1])["snapshot_id"]
        return short, now - datetime.timedelta(days=day)

    # restic derives its key for a second or so at every start: two at a time.
    with ThreadPoolExecutor(max_workers=2) as pool:
        made = list(pool.map(one, range(1, count + 1)))
    names = {path.name[:8]: path for path in (repository / "snapshots").iterdir()}
    for short, arrival in made:
        os.utime(names[short], (arrival.timestamp(), arrival.timestamp()))


def retention_benchmark(count: int):
    with tempfile.TemporaryDirectory(prefix="lz-bench-retention-") as workdir:
        base = Path(workdir)
        password = secrets.token_urlsafe(24)
        env = {"PATH": "/usr/bin:/bin", "HOME": workdir, "TZ": "UTC", "RESTIC_PASSWORD": password}
        started = time.monotonic()
        make_history(base / "made", count, env)
        made_s = time.monotonic() - started
        # The keeper's layout: its configuration, its libraries and its index beside the repository.
        (base / "lib").mkdir()
        shutil.copy(ROOT / "plugins/module_utils/_restic_arrivals.py", base / "lib" / "arrivals.py")
        shutil.copy(ROOT / "plugins/module_utils/_restic.py", base / "lib" / "restic_runner.py")
        results = {}
        for run in ("keeper, index to build", "keeper, index built", "plain restic forget"):
            server = base / run.replace(" ", "_").replace(",", "")
            (server / "srv").mkdir(parents=True)
            (server / "passwords").mkdir()
            (server / "arrivals").mkdir()
            shutil.copytree(base / "made", server / "srv" / "bench", copy_function=shutil.copy2)
            (server / "passwords" / "bench").write_text(password)
            config = {
                "clients": ["bench"],
                "repository_root": str(server / "srv"),
                "password_dir": str(server / "passwords"),
                "index_dir": str(server / "arrivals"),
                "retention": RETENTION,
                "suspect": {},
                "offsite": {"enabled": False},
            }
            (server / "keeper.json").write_text(json.dumps(config))
            keeper = [sys.executable, KEEPER, "--config", server / "keeper.json"]
            keeper_env = dict(env, PYTHONPATH=str(base / "lib"))
            if run == "keeper, index built":
                results["index of all"] = measured([*keeper, "index"], keeper_env)
            if run.startswith("keeper"):
                results[run] = measured([*keeper, "retention"], keeper_env)
            else:
                keep = [f"--{key.replace('_', '-')}={RETENTION[key]}" for key in PLAIN_KEEP]
                forget = ["restic", "-r", server / "srv" / "bench", "forget", "--group-by", "host", "--prune", *keep]
                results[run] = measured(forget, env)
            results[run + " kept"] = len(list((server / "srv" / "bench" / "snapshots").iterdir()))
    plain_s, plain_kib = results["plain restic forget"]
    print(f"retention of {count} snapshots (made in {made_s:.0f} s), policy {RETENTION}")
    for run in ("keeper, index to build", "keeper, index built", "plain restic forget"):
        seconds, kib = results[run]
        print(
            f"  {run:24} {seconds:7.1f} s  peak {kib / 1024:6.1f} MiB  kept {results[run + ' kept']:4}"
            f"  | ratio to plain: time {seconds / plain_s:.2f}, memory {kib / plain_kib:.2f}"
        )
    index_s, index_kib = results["index of all"]
    print(f"  (the index of all {count} in one run: {index_s:.1f} s, peak {index_kib / 1024:.1f} MiB)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1000, help="how much data to make (MiB, about)")
    parser.add_argument("--keep", action="store_true", help="leave the container for inspection")
    parser.add_argument("--only", choices=["backup", "retention"], help="run one of the two benchmarks")
    parser.add_argument("--snapshots", type=int, default=500, help="snapshots in the retention's repository")
    options = parser.parse_args(argv)
    if options.only != "backup":
        retention_benchmark(options.snapshots)
    if options.only == "retention":
        return 0
    passwords = {
        name: {"rest": secrets.token_urlsafe(24), "repository": secrets.token_urlsafe(24)}
        for name in (CONTAINER, "bench-plain")
    }
    podman("rm", "--force", "--time", "2", CONTAINER, check=False)
    podman("run", "--detach", "--name", CONTAINER, "--hostname", CONTAINER, "--cap-add", "NET_ADMIN", IMAGE)
    try:
        with tempfile.TemporaryDirectory(prefix="lz-bench-backup-") as workdir:
            setup_s, inventory = timed(apply_roles, Path(workdir), passwords)
            made_mb = make_data(options.size_mb)
            files = int(inside(f"find {DATA} -type f | wc -l").strip())
            role_backup_s, _ = timed(inside, "systemctl start landingzone-backup.service")
            fact = json.loads(inside("cat /etc/ansible/facts.d/backup.fact"))
            role_restore_s, verified = timed(verify_through_module, inventory, passwords)
            plain_backup_s, _ = timed(plain_restic, passwords, "backup", "-q", DATA)
            plain_restore_s, _ = timed(
                plain_restic, passwords, "restore", "latest", "--target", "/var/tmp/plain-restore", "-q"
            )
            inside("rm -rf /var/tmp/plain-restore")
    finally:
        if not options.keep:
            podman("rm", "--force", "--time", "2", CONTAINER, check=False)
    print(f"data: {made_mb} MiB in {files} files under {DATA} (plus the host's own paths for the role)")
    print(f"roles applied in {setup_s:.1f} s")
    print(
        f"backup   role {role_backup_s:7.1f} s (manifest {fact['last_snapshot']['manifest_entries']} entries,"
        f" {fact['last_snapshot']['size_bytes'] / 2**20:.0f} MiB read)"
        f" | plain restic {plain_backup_s:7.1f} s | ratio {role_backup_s / plain_backup_s:.2f}"
    )
    print(
        f"restore  role {role_restore_s:7.1f} s (restore + sha256 of {verified['checked']} paths, via Ansible)"
        f" | plain restic {plain_restore_s:7.1f} s | ratio {role_restore_s / plain_restore_s:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
