"""A backup server in a temporary directory, for the keeper's tests: rclone's append-only REST
server on loopback in front of real restic repositories, and the keeper program with its
configuration, libraries and arrival index beside them, laid out as the backup_server role lays
them out on a server (under one directory instead of /etc, /srv and /var/lib)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from restic_harness import REPO

KEEPER = REPO / "roles" / "backup_server" / "files" / "landingzone-backup-keeper"
MODULE_UTILS = REPO / "plugins" / "module_utils"
PATH = "/usr/bin:/bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def apr1(password: str) -> str:
    """An htpasswd hash rclone accepts, cheap to check (the role's bcrypt costs each request 0.25 s)."""
    done = subprocess.run(["openssl", "passwd", "-apr1", password], capture_output=True, text=True, check=True)
    return done.stdout.strip()


class BackupServer:
    def __init__(self, base: Path, clients: dict, template_repository: Path, retention=None, suspect=None):
        """``clients``: {name: {"rest": REST password, "repository": repository password}}; every
        repository starts as a copy of ``template_repository`` (whose password they all share)."""
        self.base = base
        self.clients = clients
        self.root = base / "srv"
        self.passwords = base / "passwords"
        self.index_dir = base / "arrivals"
        self.lib = base / "lib"
        for directory in (self.root, self.passwords, self.index_dir, self.lib):
            directory.mkdir(parents=True, exist_ok=True)
        shutil.copy(MODULE_UTILS / "_restic_arrivals.py", self.lib / "arrivals.py")
        shutil.copy(MODULE_UTILS / "_restic.py", self.lib / "restic_runner.py")
        for name, secrets in clients.items():
            shutil.copytree(template_repository, self.root / name)
            (self.passwords / name).write_text(secrets["repository"])
        (base / "htpasswd").write_text("".join(f"{name}:{apr1(s['rest'])}\n" for name, s in clients.items()))
        self.config_path = base / "keeper.json"
        self.configure(retention=retention or {}, suspect=suspect or {})
        self.port = free_port()
        self.process = None

    def configure(self, **settings):
        config = {
            "clients": sorted(self.clients),
            "repository_root": str(self.root),
            "password_dir": str(self.passwords),
            "index_dir": str(self.index_dir),
            "retention": {},
            "suspect": {},
            "verify_subsets": 1,
            "offsite": {"enabled": False},
        }
        if self.config_path.exists():
            config = json.loads(self.config_path.read_text())
        config.update(settings)
        self.config_path.write_text(json.dumps(config))

    # ---- the REST server --------------------------------------------------------------------------
    def start(self):
        command = [
            "rclone", "serve", "restic", "--addr", f"127.0.0.1:{self.port}", "--htpasswd", str(self.base / "htpasswd"),
            "--append-only", "--private-repos", "--config", "/dev/null", str(self.root),
        ]  # fmt: skip
        self.log = open(self.base / "rclone.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                assert time.monotonic() < deadline, (self.base / "rclone.log").read_text()
                time.sleep(0.1)

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.log.close()

    def url(self, name, password=None) -> str:
        password = self.clients[name]["rest"] if password is None else password
        return f"rest:http://{name}:{password}@127.0.0.1:{self.port}/{name}/"

    # ---- a client, through the REST server ----------------------------------------------------------
    def client(self, name, *args, check=True, timeout=300, **environment):
        """restic as the client ``name`` runs it (its REST credentials and repository password)."""
        return subprocess.run(
            ["restic", "--no-cache", *args],
            env={
                "PATH": PATH,
                "HOME": str(self.base),
                "TZ": "UTC",
                "RESTIC_REPOSITORY": self.url(name),
                "RESTIC_PASSWORD": self.clients[name]["repository"],
                **environment,
            },
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def backup(self, name, directory, *args, host="app1"):
        """A snapshot of ``directory`` sent by client ``name``; its id."""
        done = self.client(name, "backup", "--json", "--host", host, *args, str(directory))
        summary = [json.loads(line) for line in done.stdout.splitlines() if '"summary"' in line]
        # restic 0.14 names the snapshot by its short id.
        short = summary[-1]["snapshot_id"]
        return next(p.name for p in (self.root / name / "snapshots").iterdir() if p.name.startswith(short))

    def arrive(self, name, snapshot_id, when):
        """Set when a snapshot reached the server (the test's way to have it arrive days ago)."""
        path = self.root / name / "snapshots" / snapshot_id
        os.utime(path, (when.timestamp(), when.timestamp()))

    # ---- the keeper --------------------------------------------------------------------------------
    def keeper(self, *args, check=True, path=PATH):
        done = subprocess.run(
            [sys.executable, str(KEEPER), "--config", str(self.config_path), *args],
            env={"PATH": path, "HOME": str(self.base), "TZ": "UTC", "PYTHONPATH": str(self.lib)},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if check:
            assert done.returncode == 0, (
                f"keeper {' '.join(args)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done

    def index(self, name) -> dict:
        return json.loads((self.index_dir / f"{name}.json").read_text())

    def restore(self, name, snapshot_id, target: Path):
        """Restore a snapshot the way a rebuilt host would: through the REST server, as the client."""
        self.client(name, "restore", snapshot_id, "--target", str(target))
        return target
