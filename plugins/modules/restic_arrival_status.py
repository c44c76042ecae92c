#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_arrival_status
short_description: Judge a client's RPO on the backup server, from its arrival index
description:
  - Runs on the backup server. Reads the arrival index the server's keeper keeps for one client (when each
    snapshot reached the server by the server's clock, what the client claimed, what the server measured in it)
    and judges the client's recovery point objective from it alone.
  - The age is that of the latest good snapshot by its arrival. A suspect snapshot (dated in the future of its
    arrival or far before it, or much smaller than the last good one) never counts, nor does one a verification
    found unreadable. A negative age, no good snapshot, or only suspect snapshots newer than an old good one, is
    a missed RPO, with the reason.
  - Returns a C(landingzone_evidence) record in section C(backup) (C(check) V(server_rpo)). Run it delegated to
    the backup server from the client's host, so that the record lands under the client.
  - Reads only; nothing on the server changes.
version_added: 0.2.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  client:
    description: The client's name on the backup server (its REST user and repository).
    type: str
    required: true
  host:
    description: The host name the client's snapshots must carry; defaults to O(client).
    type: str
  rpo_minutes:
    description: The client's recovery point objective, in minutes.
    type: int
    required: true
  index_dir:
    description: Where the keeper keeps the arrival indexes (one C(<client>.json) each).
    type: path
    default: /var/lib/landingzone-backup-server/arrivals
  fail_when_rpo_missed:
    description: Fail the task when the RPO is not met (otherwise it is reported only).
    type: bool
    default: false
requirements:
  - Python 3.11 or later on the backup server
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing is changed.
    support: none
notes:
  - The index is as fresh as the keeper's last C(index) run (a timer, every few minutes); start
    C(landingzone-backup-index.service) first for a judgment of this minute.
"""

EXAMPLES = r"""
- name: The backup server's judgment of this host's RPO
  cyberveilig.landingzone.restic_arrival_status:
    client: "{{ inventory_hostname }}"
    rpo_minutes: 60
  delegate_to: backup1
  become: true
"""

RETURN = r"""
rpo_met:
  description: Whether a good snapshot arrived within the RPO (and not in the future of the server's clock).
  returned: always
  type: bool
age_minutes:
  description: Minutes since the latest good snapshot arrived, or null when there is none.
  returned: always
  type: float
reason:
  description: Why the RPO is met or missed, in words.
  returned: always
  type: str
latest_good:
  description: The latest good snapshot (id, arrival, claimed_time, files, size_bytes, suspect, reasons), or null.
  returned: always
  type: dict
suspects_since_good:
  description: The suspect snapshots that arrived after the latest good one (the last 10), each with its reasons.
  returned: always
  type: list
  elements: dict
error:
  description: Why the index could not be read (C(kind), C(message)), or null.
  returned: always
  type: dict
landingzone_evidence:
  description:
    - The record for the municipality's evidence, section C(backup). No secrets.
    - Its C(verdict) is V(error) when the arrival index is absent or unreadable, V(fail) when the RPO is missed or
      the server's last check failed, V(pass) otherwise.
  returned: always
  type: dict
"""

import datetime
import os
import socket

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _restic_arrivals as arrivals

ARGUMENT_SPEC = {
    "client": {"type": "str", "required": True},
    "host": {"type": "str"},
    "rpo_minutes": {"type": "int", "required": True},
    "index_dir": {"type": "path", "default": "/var/lib/landingzone-backup-server/arrivals"},
    "fail_when_rpo_missed": {"type": "bool", "default": False},
}


def _verdict(judgment, error):
    """error: the arrival index is absent or unreadable; fail: the RPO is missed, or the server's
    last check of the repository failed or left it in doubt."""
    if error:
        return "error"
    return "pass" if judgment["rpo_met"] and judgment.get("last_check_ok") is not False else "fail"


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    client = params["client"]
    if not arrivals.valid_client(client):
        module.fail_json(msg=f"client: {client!r} is not a client name (letters, digits and ._- only)")
    host = params["host"] or client
    now = datetime.datetime.now(datetime.UTC)
    path = os.path.join(params["index_dir"], f"{client}.json")
    judgment, error = None, None
    if not os.path.exists(path):
        error = {"kind": "absent", "message": f"{path}: no arrival index (has the keeper's index run?)"}
    else:
        try:
            judgment = arrivals.judge_rpo(arrivals.load_index(path, client), host, params["rpo_minutes"], now)
        except (OSError, arrivals.ArrivalIndexError) as exc:
            error = {"kind": "unreadable", "message": str(exc)}
    if judgment is None:
        judgment = {
            "rpo_minutes": params["rpo_minutes"],
            "rpo_met": False,
            "age_minutes": None,
            "reason": f"the arrival index could not be read: {error['message']}",
            "latest_good": None,
            "suspects_since_good": [],
        }
    record = {
        "check": "server_rpo",
        "host": host,
        "judged_by": socket.gethostname(),
        "checked_at": now.isoformat(),
        **judgment,
        "error": error,
        "verdict": _verdict(judgment, error),
    }
    rpo_words = "met" if record["rpo_met"] else "NOT met"
    module.exit_json(
        changed=False,
        failed=bool(params["fail_when_rpo_missed"] and not record["rpo_met"]),
        msg=f"RPO of {params['rpo_minutes']} minutes {rpo_words} (judged by the backup server): {record['reason']}",
        landingzone_evidence={"section": "backup", "record": record},
        **{key: record[key] for key in ("rpo_met", "age_minutes", "reason", "latest_good", "suspects_since_good")},
        error=error,
    )


if __name__ == "__main__":
    main()
