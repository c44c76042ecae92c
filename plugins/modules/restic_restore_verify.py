#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_restore_verify
short_description: Restore a snapshot and verify it against its backup-time manifest
description:
  - Restores the latest snapshot of a host (or O(snapshot)) into a fresh scratch directory, together with the
    manifest the backup agent wrote at backup time (sha256, size, mode and owner of every backed-up path).
  - Compares every restored path under O(paths) with the manifest and reports each mismatch (missing, content,
    size, mode, owner, symlink target). The scratch directory is removed afterwards, whatever happened.
  - Nothing on the host outside the scratch directory is touched, so the module runs the same in check mode.
  - With O(restore_to), the files are restored there instead (V(/) puts a host's data back in place, as a
    restore drill does on an empty host), verified the same way, and kept. In check mode it then only finds
    the snapshot and reports what it would restore.
  - Returns a C(landingzone_evidence) record in section C(backup).
version_added: 0.1.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
extends_documentation_fragment:
  - cyberveilig.landingzone.restic
options:
  host:
    description: Restore the latest snapshot of this host (restic's C(--host)).
    type: str
  snapshot:
    description: The snapshot id to restore; V(latest) is the newest one of O(host).
    type: str
    default: latest
  paths:
    description:
      - The backed-up paths to restore and verify (absolute). Empty means every path of the manifest.
    type: list
    elements: path
    default: []
  manifest_path:
    description: Where the agent keeps the manifest on the backed-up host, and so inside the snapshot.
    type: path
    default: /var/lib/landingzone-backup/manifest.jsonl
  scratch_parent:
    description: The directory in which the scratch directory is made (it needs room for the restored data).
    type: path
    default: /var/tmp
  restore_to:
    description:
      - Restore into this directory and keep the result, instead of into a scratch directory that is removed.
      - Files there with the same paths are overwritten by the snapshot's.
    type: path
  check_owner:
    description: Also compare owners (uid, gid). Needs restic to run as root.
    type: bool
    default: true
  fail_on_mismatch:
    description: Fail the task when a restored path differs from the manifest.
    type: bool
    default: true
requirements:
  - Python 3.11 or later on the target
  - C(restic) on the target (Debian package restic)
attributes:
  check_mode:
    description:
      - Restores into a scratch directory it removes again; runs the same in check mode.
      - With O(restore_to), check mode finds the snapshot and restores nothing.
    support: full
  diff_mode:
    description: Nothing on the host is changed.
    support: none
"""

EXAMPLES = r"""
- name: Restore the latest backup of /srv/data and verify every file
  cyberveilig.landingzone.restic_restore_verify:
    repository: "{{ backup_agent_repository }}"
    password: "{{ backup_agent_repository_password }}"
    cacert: /etc/landingzone-backup/ca.crt
    host: "{{ inventory_hostname }}"
    paths: [/srv/data]
"""

RETURN = r"""
verified:
  description: Whether every restored path matches the manifest.
  returned: always
  type: bool
snapshot:
  description: The snapshot that was restored (C(id), C(time)).
  returned: when a snapshot was found
  type: dict
checked:
  description: How many manifest entries were compared.
  returned: always
  type: int
mismatches:
  description: One record per differing path (C(path), C(problem), C(expected), C(found)); the first 100.
  returned: always
  type: list
  elements: dict
mismatch_count:
  description: How many paths differ.
  returned: always
  type: int
restored_bytes:
  description: Size of the regular files compared.
  returned: always
  type: int
restore_seconds:
  description: How long the restore took.
  returned: always
  type: float
error:
  description: Why the restore could not be done (C(kind), C(message)), or null.
  returned: always
  type: dict
landingzone_evidence:
  description:
    - The record for the municipality's evidence, section C(backup). No secrets.
    - Its C(verdict) is V(pass) when every file was restored byte for byte, V(error) when nothing could be
      compared, V(fail) when something differs.
  returned: always
  type: dict
"""

import datetime
import os
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _restic_manifest as manifest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._restic import (
    CONNECTION_ARGUMENT_SPEC,
    Restic,
    ResticError,
    parse_time,
)

ARGUMENT_SPEC = dict(
    CONNECTION_ARGUMENT_SPEC,
    host={"type": "str"},
    snapshot={"type": "str", "default": "latest"},
    paths={"type": "list", "elements": "path", "default": []},
    manifest_path={"type": "path", "default": "/var/lib/landingzone-backup/manifest.jsonl"},
    scratch_parent={"type": "path", "default": "/var/tmp"},
    restore_to={"type": "path"},
    check_owner={"type": "bool", "default": True},
    fail_on_mismatch={"type": "bool", "default": True},
)
REPORTED_MISMATCHES = 100


def under(path, tops):
    return not tops or any(path == top or path.startswith(top.rstrip("/") + "/") for top in tops)


def find_snapshot(restic, wanted, host):
    snapshots = restic.snapshots(host=host)
    if wanted != "latest":
        snapshots = [s for s in snapshots if s["id"].startswith(wanted) or s.get("short_id") == wanted]
    if not snapshots:
        raise ResticError("absent", f"no snapshot {wanted!r}" + (f" of host {host}" if host else ""), 0)
    chosen = snapshots[-1]
    return {"id": chosen["id"], "time": parse_time(chosen["time"]).astimezone(datetime.UTC).isoformat()}


def restore_and_compare(restic, params, scratch):
    snapshot = find_snapshot(restic, params["snapshot"], params["host"])
    includes = [params["manifest_path"], *params["paths"]]
    args = ["restore", snapshot["id"], "--target", scratch]
    for path in includes:
        args += ["--include", path]
    started = time.monotonic()
    restic.run(*args)
    seconds = round(time.monotonic() - started, 3)
    try:
        _, records = manifest.read(f"{scratch}/{params['manifest_path'].lstrip('/')}")
    except FileNotFoundError:
        raise ResticError("no_manifest", f"snapshot {snapshot['id'][:8]} holds no manifest", 0) from None
    except ValueError as exc:
        raise ResticError("no_manifest", str(exc), 0) from None
    selected = [r for r in records if under(r["path"], params["paths"])]
    problems = manifest.compare(selected, scratch, check_owner=params["check_owner"])
    size = sum(r.get("size", 0) for r in selected if r.get("type") == "file")
    return snapshot, selected, problems, size, seconds


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    restic = Restic.from_params(params)
    module.no_log_values.update(secret for secret in restic.secrets() if secret)
    result = {
        "changed": False,
        "verified": False,
        "checked": 0,
        "mismatches": [],
        "mismatch_count": 0,
        "restored_bytes": 0,
        "restore_seconds": 0.0,
        "error": None,
    }
    in_place = params["restore_to"] is not None
    scratch = params["restore_to"] or tempfile.mkdtemp(
        prefix="landingzone-restore-verify-", dir=params["scratch_parent"]
    )
    try:
        if in_place and module.check_mode:
            snapshot = find_snapshot(restic, params["snapshot"], params["host"])
            result.update(snapshot=snapshot, changed=True, failed=False)
            result["msg"] = f"would restore snapshot {snapshot['id'][:8]} into {scratch}"
            module.exit_json(**result)
        if in_place:
            os.makedirs(scratch, exist_ok=True)
            result["changed"] = True
        snapshot, selected, problems, size, seconds = restore_and_compare(restic, params, scratch)
        result.update(
            snapshot=snapshot,
            checked=len(selected),
            mismatches=problems[:REPORTED_MISMATCHES],
            mismatch_count=len(problems),
            restored_bytes=size,
            restore_seconds=seconds,
            verified=bool(selected) and not problems,
        )
        if not selected:
            result["error"] = {"kind": "empty", "message": "the manifest lists nothing under the given paths"}
    except ResticError as exc:
        result["error"] = exc.as_dict()
    finally:
        if not in_place:
            shutil.rmtree(scratch, ignore_errors=True)
    result["landingzone_evidence"] = {
        "section": "backup",
        "record": {
            "check": "restore_verify",
            "host": params["host"],
            "repository": restic.location,
            "paths": params["paths"],
            "snapshot": result.get("snapshot"),
            "verified": result["verified"],
            "checked": result["checked"],
            "mismatch_count": result["mismatch_count"],
            "mismatches": result["mismatches"][:10],
            "restored_bytes": result["restored_bytes"],
            "restore_seconds": result["restore_seconds"],
            "error": result["error"],
            # pass: every file restored byte for byte; error: nothing could be compared.
            "verdict": "pass" if result["verified"] else ("error" if result["error"] else "fail"),
        },
    }
    if result["error"]:
        result["msg"] = f"restore could not be verified ({result['error']['kind']}): {result['error']['message']}"
        result["failed"] = True
    elif problems:
        result["msg"] = f"{len(problems)} of {len(selected)} restored paths differ from the manifest"
        result["failed"] = bool(params["fail_on_mismatch"])
    else:
        result["msg"] = f"all {len(selected)} restored paths match the manifest ({size} bytes)"
        result["failed"] = False
    module.exit_json(**result)


if __name__ == "__main__":
    main()
