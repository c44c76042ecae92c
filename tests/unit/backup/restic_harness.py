"""Run the restic modules the way Ansible does (a process reading its arguments on stdin),
against real restic repositories under tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

PASSWORD = "correct horse battery staple"


def run_module(name, check_mode=False, **args):
    """(result, raw stdout) of plugins/modules/<name>.py with ``args``."""
    completed = subprocess.run(
        [sys.executable, str(REPO / "plugins" / "modules" / f"{name}.py")],
        input=json.dumps({"ANSIBLE_MODULE_ARGS": {"_ansible_check_mode": check_mode, **args}}),
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(COLLECTIONS), "PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")},
        check=False,
        timeout=300,
    )
    assert completed.stdout, completed.stderr
    return json.loads(completed.stdout), completed.stdout + completed.stderr


def restic(repository, *args, password=PASSWORD):
    return subprocess.run(
        ["restic", "--no-cache", "-r", str(repository), *args],
        # restic reads --time in the local zone: UTC makes a stamp mean what it says.
        env={
            "RESTIC_PASSWORD": password,
            "PATH": "/usr/bin:/bin",
            "HOME": os.environ.get("HOME", "/root"),
            "TZ": "UTC",
        },
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
