#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: log_chain_status
short_description: Check the hash chain of the log collector's sealed files, per sender
description:
  - The log collector keeps one directory per sender under O(storage_dir). Each sealed period file ends with a
    seal that records the SHA-256 of the sealed file before it, and C(chain.head) records the newest one.
  - Walks every sender's chain from its head back to its first file and reports where it breaks; a file changed,
    cut short, removed, added or left writable after its seal is a break.
  - The check is this module's own code, sent from the controller, so a collector cannot change how it is judged.
  - Returns one C(landingzone_evidence) record per sender in section C(logs); a broken chain has C(chain_ok=false),
    which the C(landingzone) CLI reports as a finding (the run is non-compliant).
version_added: 0.2.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  storage_dir:
    description: Where the collector keeps one directory per sender.
    type: path
    default: /var/log/remote
  senders:
    description:
      - The senders whose logs the collector must hold; one without a directory is a break. Directories of other
        senders (hosts that left the inventory) are checked as well.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing is changed.
    support: none
"""

EXAMPLES = r"""
- name: Check the chains of sealed log files
  cyberveilig.landingzone.log_chain_status:
    storage_dir: /var/log/remote
    senders: [gent-app1, gent-app2, gent-log1]
  register: log_chain
"""

RETURN = r"""
chain_ok:
  description: Whether every sender's chain is whole.
  returned: always
  type: bool
senders:
  description: One record per sender directory, as in the evidence.
  returned: always
  type: list
  elements: dict
  sample:
    - sender: gent-app1
      sealed_files: 2
      first: 20250301T000000Z.log
      head: 20250302T000000Z.log
      head_sha256: 9f2c0a
      pending: 0
      current_append_only: true
      chain_ok: false
      problems:
        - "20250301T000000Z.log was changed after it was sealed: its SHA-256 is not 20250302T000000Z.log's record of it"
landingzone_evidence:
  description:
    - The records for the CLI's evidence, in section C(logs).
    - Each record's C(verdict) is V(pass) when its sender's chain holds, V(fail) when it is broken.
  returned: always
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _log_chain


def check_storage(storage_dir: str, senders: list[str]) -> list[dict]:
    present = []
    if os.path.isdir(storage_dir):
        present = [name for name in os.listdir(storage_dir) if os.path.isdir(os.path.join(storage_dir, name))]
    records = []
    for sender in sorted(set(present) | set(senders)):
        directory = os.path.join(storage_dir, sender)
        if not _log_chain.SENDER_NAME.match(sender):
            records.append(_broken(sender, f"{directory}: not a sender's directory (a name no sender can have)"))
        elif not os.path.isdir(directory):
            records.append(_broken(sender, f"{directory} is missing: no log of this sender is kept"))
        else:
            records.append(_log_chain.check_chain(directory))
    return records


def _broken(sender: str, problem: str) -> dict:
    return {
        "sender": sender,
        "sealed_files": 0,
        "first": None,
        "head": None,
        "head_sha256": None,
        "pending": 0,
        "current_append_only": False,
        "chain_ok": False,
        "problems": [problem],
    }


def main():
    module = AnsibleModule(
        argument_spec={
            "storage_dir": {"type": "path", "default": "/var/log/remote"},
            "senders": {"type": "list", "elements": "str", "default": []},
        },
        supports_check_mode=True,
    )
    storage_dir = module.params["storage_dir"]
    if not os.path.isdir(storage_dir):
        module.fail_json(msg=f"storage_dir: {storage_dir} is not a directory on this host", failed=True)
    records = check_storage(storage_dir, module.params["senders"])
    for record in records:
        record["verdict"] = "pass" if record["chain_ok"] else "fail"
    module.exit_json(
        changed=False,
        failed=False,
        chain_ok=all(record["chain_ok"] for record in records),
        senders=records,
        landingzone_evidence={"section": "logs", "records": records},
    )


if __name__ == "__main__":
    main()
