#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_offsite_latest_good
short_description: Name a client's latest good snapshot in an offsite copy, by the backup server's arrival index
description:
  - A restore from the backup server asks the server which snapshot is the latest good one by its arrival (the
    server's clock), since the snapshots' own times are the client's word. After the worst incident the server is
    gone, but its keeper sent its arrival index along with every offsite copy, as a snapshot of the host
    C(landingzone-arrival-index) in the client's offsite repository. This module reads that index out of a local
    copy of the repository (made by M(cyberveilig.landingzone.restic_offsite_as_of), so the index is the one the
    server had sent by then) and names the copy of the latest good snapshot by arrival.
  - A copy names its source snapshot (C(original)); the index is keyed by the source ids. Suspect snapshots (dated
    in the future of their arrival or far before it, much smaller than the last good one) and snapshots a
    verification found unreadable are never chosen; an operator's accepted verdict counts, as on the server.
  - Of the index snapshots, the one written last by the server's clock is read. When the copy holds no index at
    all (a copy made before the keeper sent it), the newest snapshot by its own time is named instead and
    C(chosen_by) says so; the restore's manifest check is then what fails a forged one.
  - Reads only; the repository does not change.
version_added: 0.2.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  repository:
    description: The local copy of the client's offsite repository.
    type: path
    required: true
  password:
    description: The client's repository password (the copy is encrypted with it).
    type: str
    required: true
  client:
    description: The client whose repository it is (the index names it).
    type: str
    required: true
  host:
    description: The host name the client's snapshots carry; defaults to O(client).
    type: str
requirements:
  - Python 3.11 or later and restic on the host it runs on
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing is changed.
    support: none
"""

EXAMPLES = r"""
- name: The snapshot to restore from the offsite copy, by the server's arrival
  cyberveilig.landingzone.restic_offsite_latest_good:
    repository: /var/tmp/landingzone-offsite/demo-app1
    password: "{{ backup_agent_repository_password }}"
    client: demo-app1
  register: offsite_latest_good
  no_log: true
"""

RETURN = r"""
snapshot:
  description: The id of the copy to restore, or V(latest) when the copy holds no arrival index.
  returned: always
  type: str
chosen_by:
  description: V(arrival) (the server's arrival index) or V(newest) (no index in the copy).
  returned: always
  type: str
original:
  description: The id of the snapshot on the backup server that the chosen copy is a copy of.
  returned: when chosen by arrival
  type: str
arrival:
  description: When the chosen snapshot reached the backup server, by the server's clock (ISO 8601).
  returned: when chosen by arrival
  type: str
index_written:
  description: When the server wrote the index snapshot that was read (ISO 8601).
  returned: when chosen by arrival
  type: str
passed_over:
  description: Snapshots of the host in the copy that arrived later than the chosen one and are not good, with why.
  returned: when chosen by arrival
  type: list
  elements: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _restic_arrivals as arrivals
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._restic import Restic, ResticError

# The host name the backup server's keeper gives the index snapshot it sends with each copy.
INDEX_HOST = "landingzone-arrival-index"

ARGUMENT_SPEC = {
    "repository": {"type": "path", "required": True},
    "password": {"type": "str", "required": True, "no_log": True},
    "client": {"type": "str", "required": True},
    "host": {"type": "str"},
}


def read_index(restic: Restic, client: str, workdir: str):
    """The arrival index of the newest index snapshot in the copy, and that snapshot; (None, None) without one."""
    sent = [s for s in restic.snapshots(host=INDEX_HOST) if s.get("hostname") == INDEX_HOST and s.get("paths")]
    if not sent:
        return None, None
    latest = sent[-1]
    _, text, _ = restic.run("dump", latest["id"], latest["paths"][0])
    # load_index checks the format and that the index is this client's, from a file.
    path = os.path.join(workdir, f"{client}.json")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    try:
        return arrivals.load_index(path, client), latest
    except arrivals.ArrivalIndexError as exc:
        # Named by where it came from, not by the scratch file.
        reason = str(exc).removeprefix(f"{path}: ")
        raise arrivals.ArrivalIndexError(f"{latest['paths'][0]} of snapshot {latest['id'][:8]}: {reason}") from None


def choose(index: dict, copies: list[dict], host: str) -> tuple[dict | None, dict | None, list[dict]]:
    """(the copy, its index entry, the later snapshots passed over) of the latest good snapshot by arrival
    that the copy holds."""
    by_original = {copy["original"]: copy for copy in copies if copy.get("original")}
    entries = [
        (sid, entry)
        for sid, entry in arrivals.present(index).items()
        if entry.get("hostname") in (host, None) and sid in by_original
    ]
    entries.sort(key=lambda item: (item[1]["arrival"], item[0]))
    passed_over = []
    for sid, entry in reversed(entries):
        if arrivals.is_good(entry):
            return by_original[sid], {"id": sid, **entry}, passed_over
        passed_over.append(
            {
                "original": sid,
                "arrival": entry.get("arrival"),
                "claimed_time": entry.get("time"),
                "why": "; ".join(entry.get("reasons") or []) or "not good (suspect, unmeasured or unreadable)",
            }
        )
    return None, None, passed_over


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    client = params["client"]
    if not arrivals.valid_client(client):
        module.fail_json(msg=f"client: {client!r} is not a client name (letters, digits and ._- only)")
    host = params["host"] or client
    restic = Restic(params["repository"], params["password"])
    try:
        index, sent = read_index(restic, client, module.tmpdir)
        if index is None:
            module.exit_json(
                changed=False,
                failed=False,
                snapshot="latest",
                chosen_by="newest",
                msg=f"{params['repository']}: the copy holds no arrival index; the newest snapshot by its own time",
            )
        copies = restic.snapshots(host=host)
    except ResticError as exc:
        module.fail_json(msg=f"{params['repository']}: {exc.message}", error=exc.as_dict())
    except arrivals.ArrivalIndexError as exc:
        module.fail_json(msg=f"{params['repository']}: the arrival index sent with the copy, {exc}")
    chosen, entry, passed_over = choose(index, copies, host)
    if chosen is None:
        module.fail_json(
            msg=(
                f"{params['repository']}: no good snapshot of {host} by the server's arrival index in the copy "
                f"({len(copies)} snapshots of {host}, {len(passed_over)} of them indexed and not good)"
            ),
            passed_over=passed_over,
        )
    module.exit_json(
        changed=False,
        failed=False,
        snapshot=chosen["id"],
        chosen_by="arrival",
        original=entry["id"],
        arrival=entry["arrival"],
        index_written=sent["time"],
        passed_over=passed_over,
        msg=f"{chosen['id'][:8]}, the copy of {entry['id'][:8]}, which arrived at {entry['arrival']}",
    )


if __name__ == "__main__":
    main()
