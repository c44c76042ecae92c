"""What the fault-injection tests share: a host to break, a catalog that touches every kind
of change, a child engine process, and snapshots to compare byte for byte."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.engine import Engine
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.rollback import rollback
from engine_harness import BASE_FILES, BASE_SHADOW, FakeSystem, control, make_host

CHILD = Path(__file__).resolve().parent / "engine_child.py"
# Replaced files (login.defs, passwd, shadow), a created one (the sshd drop-in) with a
# restart, and a mode change done by an action.
CATALOG = [
    control("config_key", {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365}, "LZ-T-001"),
    control("sshd_option", {"option": "PermitRootLogin", "value": "no"}, "LZ-T-002"),
    control("account_policy", {"rule": "password_max_days", "value": 365}, "LZ-T-003"),
    control("account_policy", {"rule": "system_shell_nologin"}, "LZ-T-004"),
    control("file_permission", {"path": "/etc/ssh/sshd_config", "mode": "0600"}, "LZ-T-005"),
]
# What the engine itself keeps on the host: not part of the state a run changes.
ENGINE_OWN = ("var/backups/", "run/lock/", "etc/.pwd.lock")


def prepare(root):
    """A host that fails every control of CATALOG."""
    system = FakeSystem(root)
    for path, text in BASE_FILES.items():
        system.write(path, text)
    system.write("/etc/shadow", BASE_SHADOW, 0o640)
    system.write(
        "/etc/passwd", system.read("/etc/passwd").replace(":/usr/sbin:/usr/sbin/nologin", ":/usr/sbin:/bin/sh")
    )
    os.chmod(Path(root) / "etc/ssh/sshd_config", 0o644)
    return system


def snapshot(root):
    """Every file under root but the engine's own: {path: (bytes, mode, uid, gid)}."""
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            real = Path(directory) / name
            relative = str(real.relative_to(root))
            if relative.startswith(ENGINE_OWN):
                continue
            info = os.lstat(real)
            found[relative] = (real.read_bytes(), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    return found


def applied_state(tmp_path, controls=CATALOG):
    """The snapshot of a host after an undisturbed apply, from a root of its own."""
    root = tmp_path / "reference"
    system = prepare(root)
    Engine(make_host(system, run_id="reference")).run(controls, "apply")
    return snapshot(root)


def run_child(tmp_path, spec, wait=True, prefix=()):
    """Start engine_child.py on spec; with wait, return (returncode, report)."""
    name = f"{spec['run_id']}-{len(list(tmp_path.glob('spec-*')))}"
    spec_path, report = tmp_path / f"spec-{name}.json", tmp_path / f"report-{name}.json"
    spec = {"controls": CATALOG, **spec, "report": str(report)}
    spec_path.write_text(json.dumps(spec))
    process = subprocess.Popen([*prefix, sys.executable, str(CHILD), str(spec_path)])
    if not wait:
        return process, report
    returncode = process.wait(timeout=120)
    return returncode, json.loads(report.read_text()) if report.exists() else None


def manifest(root, run_id):
    path = Path(root) / "var/backups/landingzone" / run_id / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else None


def old_or_new(state, before, after):
    """Paths whose content or mode is neither the pre-run one nor the applied one."""
    torn = []
    for path in set(before) | set(after) | set(state):
        if state.get(path) not in (before.get(path), after.get(path)):
            torn.append(path)
    return sorted(torn)


def roll_back_all(system, run_ids):
    """Roll back each run that changed something, newest first, each as a run of its own."""
    for number, run_id in enumerate(run_ids):
        if manifest(system.root, run_id) is None:
            continue  # it found nothing to change
        records = rollback(make_host(system, run_id=f"undo-{number}-{run_id}"), run_id)
        assert not [r for r in records if r["status"] == "error"], records
