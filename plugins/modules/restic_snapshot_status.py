#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_snapshot_status
short_description: Report the latest restic snapshot of a host and whether it meets the RPO
description:
  - Lists the snapshots of one host in a restic repository and reports the latest one (id, time, restore size,
    file count), its age and whether that age is within the recovery point objective O(rpo_minutes).
  - A repository that cannot be read (server down, wrong password, no repository) is reported, with the kind of
    failure, as an RPO that is not met; the task fails only with O(fail_when_rpo_missed=true).
  - With O(fact_file), the host's local backup fact (written by the backup agent after every run) is read and its
    last run is reported next to the repository's view.
  - This is the client's own view, a second opinion. The times it judges by are the ones the client wrote into its
    snapshots, which a compromised client can forge; the backup server judges by arrival
    (M(cyberveilig.landingzone.restic_arrival_status)). A snapshot dated in the future (a negative age) is a
    missed RPO here too.
  - Returns a C(landingzone_evidence) record in section C(backup) (C(check) V(client_view)), which the operator CLI
    collects into the municipality's evidence.
version_added: 0.1.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
extends_documentation_fragment:
  - cyberveilig.landingzone.restic
options:
  host:
    description: Only snapshots of this host name (restic's C(--host)). Empty means every host in the repository.
    type: str
  tags:
    description: Only snapshots with these tags.
    type: list
    elements: str
    default: []
  rpo_minutes:
    description: The recovery point objective, in minutes; the latest snapshot must be younger.
    type: int
    required: true
  fact_file:
    description:
      - The local backup fact of the host (JSON), reported as C(last_run) when it exists. It also gives the size
        of the latest snapshot when the repository does not record it (restic before 0.17).
    type: path
  measure_size:
    description:
      - When neither the snapshot nor the fact gives its size, measure it with C(restic stats) (it walks the whole
        snapshot, which takes long over a network without a cache).
    type: bool
    default: false
  fail_when_rpo_missed:
    description: Fail the task when the RPO is not met (otherwise it is reported only).
    type: bool
    default: false
requirements:
  - Python 3.11 or later on the target
  - C(restic) on the target (Debian package restic)
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing is changed.
    support: none
"""

EXAMPLES = r"""
- name: Is the latest backup of this host recent enough?
  cyberveilig.landingzone.restic_snapshot_status:
    repository: "{{ backup_agent_repository }}"
    password: "{{ backup_agent_repository_password }}"
    cacert: /etc/landingzone-backup/ca.crt
    host: "{{ inventory_hostname }}"
    rpo_minutes: 60
    fact_file: /etc/ansible/facts.d/backup.fact
  register: backup_status
  no_log: false
"""

RETURN = r"""
snapshot_count:
  description: How many snapshots match.
  returned: when the repository could be read
  type: int
latest:
  description: The latest matching snapshot, or null when there is none.
  returned: always
  type: dict
  contains:
    id:
      description: The snapshot id.
      type: str
    time:
      description: When it was taken (ISO 8601, UTC).
      type: str
    hostname:
      description: The host it was taken on.
      type: str
    paths:
      description: The paths it holds.
      type: list
    size_bytes:
      description: Bytes the backup read (from the snapshot, the fact or C(restic stats)), or null when unknown.
      type: int
    file_count:
      description: Files in the snapshot, or null when unknown.
      type: int
age_minutes:
  description: Minutes since the latest snapshot, or null when there is none.
  returned: always
  type: float
rpo_minutes:
  description: The objective it was judged against.
  returned: always
  type: int
rpo_met:
  description: Whether a snapshot younger than the RPO exists, and none claims a time in the future.
  returned: always
  type: bool
error:
  description: Why the repository could not be read (C(kind), C(message)), or null.
  returned: always
  type: dict
last_run:
  description: The last run recorded in the host's local fact (status, time, error), when O(fact_file) exists.
  returned: when O(fact_file) exists
  type: dict
last_run_ok:
  description:
    - Whether the agent's last run succeeded, from the local fact; null without one.
    - A failed run is reported even while the latest snapshot is still within the RPO, so that
      the evidence shows a backup that stopped working before its RPO is missed.
  returned: always
  type: bool
landingzone_evidence:
  description:
    - The record for the municipality's evidence, section C(backup). No secrets.
    - Its C(verdict) is V(error) when the repository could not be read, V(fail) when the RPO is missed or the last
      backup run failed, V(pass) otherwise.
  returned: always
  type: dict
"""

import datetime
import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._restic import (
    CONNECTION_ARGUMENT_SPEC,
    Restic,
    ResticError,
    parse_time,
)

ARGUMENT_SPEC = dict(
    CONNECTION_ARGUMENT_SPEC,
    host={"type": "str"},
    tags={"type": "list", "elements": "str", "default": []},
    rpo_minutes={"type": "int", "required": True},
    fact_file={"type": "path"},
    measure_size={"type": "bool", "default": False},
    fail_when_rpo_missed={"type": "bool", "default": False},
)


def read_fact(path):
    """The agent's local fact, or an explanation of why it could not be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"status": "unreadable", "error": f"{path}: {exc}"}


def latest_snapshot(restic, host, tags, fact, measure_size):
    snapshots = restic.snapshots(host=host or None, tags=tags)
    if not snapshots:
        return 0, None
    newest = snapshots[-1]
    latest = {
        "id": newest["id"],
        "time": parse_time(newest["time"]).astimezone(datetime.UTC).isoformat(),
        "hostname": newest.get("hostname"),
        "paths": newest.get("paths", []),
        "size_bytes": None,
        "file_count": None,
    }
    summary = newest.get("summary") or {}
    recorded = (fact or {}).get("last_snapshot") or {}
    if summary:
        # restic >= 0.17 keeps the backup's summary in the snapshot.
        latest.update(size_bytes=summary.get("total_bytes_processed"), file_count=summary.get("total_files_processed"))
    elif recorded.get("id") and newest["id"].startswith(str(recorded["id"])):
        latest.update(size_bytes=recorded.get("size_bytes"), file_count=recorded.get("files"))
    elif measure_size:
        latest.update(restic.restore_size(newest["id"]))
    return len(snapshots), latest


def _verdict(result):
    """error: the repository could not be read; fail: the RPO is missed or the last run failed."""
    if result["error"]:
        return "error"
    return "pass" if result["rpo_met"] and result["last_run_ok"] is not False else "fail"


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    restic = Restic.from_params(params)
    module.no_log_values.update(secret for secret in restic.secrets() if secret)
    now = datetime.datetime.now(datetime.UTC)
    result = {
        "changed": False,
        "latest": None,
        "age_minutes": None,
        "rpo_minutes": params["rpo_minutes"],
        "rpo_met": False,
        "error": None,
    }
    fact = read_fact(params["fact_file"]) if params["fact_file"] else None
    try:
        result["snapshot_count"], result["latest"] = latest_snapshot(
            restic, params["host"], params["tags"], fact, params["measure_size"]
        )
    except ResticError as exc:
        result["error"] = exc.as_dict()
    if result["latest"]:
        age = now - datetime.datetime.fromisoformat(result["latest"]["time"])
        result["age_minutes"] = round(age.total_seconds() / 60, 1)
        # A snapshot from the future is a forged or broken clock, never a recent backup.
        result["rpo_met"] = 0 <= result["age_minutes"] <= params["rpo_minutes"]
    if fact is not None:
        result["last_run"] = fact.get("last_run", fact)
    last_status = (result.get("last_run") or {}).get("status")
    result["last_run_ok"] = None if last_status is None else last_status == "ok"
    record = {
        "check": "client_view",
        "host": params["host"],
        "repository": restic.location,
        "checked_at": now.isoformat(),
        "rpo_minutes": params["rpo_minutes"],
        "rpo_met": result["rpo_met"],
        "age_minutes": result["age_minutes"],
        "snapshot_count": result.get("snapshot_count"),
        "latest": result["latest"],
        "error": result["error"],
        "last_run": result.get("last_run"),
        "last_run_ok": result["last_run_ok"],
        "verdict": _verdict(result),
    }
    result["landingzone_evidence"] = {"section": "backup", "record": record}
    if result["error"]:
        reason = f"the repository could not be read ({result['error']['kind']}): {result['error']['message']}"
    elif not result["latest"]:
        reason = "there is no snapshot"
    elif result["age_minutes"] < 0:
        reason = f"the latest snapshot claims a time {abs(result['age_minutes'])} minutes in the future"
    else:
        reason = f"the latest snapshot is {result['age_minutes']} minutes old"
    record["reason"] = reason
    rpo_words = "met" if result["rpo_met"] else "NOT met"
    result["msg"] = f"RPO of {params['rpo_minutes']} minutes {rpo_words}: {reason}"
    if result["last_run_ok"] is False:
        result["msg"] += f"; the last backup run failed: {result['last_run'].get('error', 'see its journal')}"
    result["failed"] = bool(params["fail_when_rpo_missed"] and not result["rpo_met"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
