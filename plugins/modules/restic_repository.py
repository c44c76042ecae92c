#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_repository
short_description: Make sure a restic repository exists, and optionally check it
description:
  - Initialises a restic repository when there is none at O(repository), and leaves an existing one alone.
  - A wrong password or an unreachable server is a failure, never a reason to initialise a new repository.
  - With O(check=true), runs C(restic check), optionally reading a subset of the data (O(read_data_subset)).
  - With O(init_from_repository), a new repository gets the chunker parameters of that one, so that
    C(restic copy) between the two deduplicates (the backup server's offsite copy).
  - The repository location, its password and O(environment) (S3 keys) reach restic through its environment
    only and never appear in results; a REST location is returned without its credentials.
version_added: 0.1.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
extends_documentation_fragment:
  - cyberveilig.landingzone.restic
options:
  state:
    description: V(present) initialises the repository when it is absent.
    type: str
    choices: [present]
    default: present
  check:
    description: Run C(restic check) on the repository (after initialising it, if that was needed).
    type: bool
    default: false
  read_data_subset:
    description:
      - With O(check=true), also read and verify this part of the pack files, as restic's
        C(--read-data-subset) takes it (V(1/10), V(5%), V(100M)).
    type: str
  init_from_repository:
    description: When initialising, copy the chunker parameters of this repository (a location, a secret).
    type: str
  init_from_password:
    description: The password of O(init_from_repository); defaults to O(password).
    type: str
  group:
    description:
      - For a local repository, the group that shares it with the account that made it (the backup server's REST
        account writes what clients send; its keeper reads, prunes and copies it).
      - Every file and directory is given to this group, directories group-writable and setgid (what is made in
        them later belongs to the group too), files group-readable. A group-readable C(config) makes restic write
        its own files group-readable from then on. The owner and the permissions of others are left alone.
      - Applied before restic opens the repository (an existing one of an earlier layout becomes readable to
        O(run_as)) and after it initialised one.
    type: str
requirements:
  - Python 3.11 or later on the target
  - C(restic) on the target (Debian package restic)
attributes:
  check_mode:
    description: Reports whether a repository would be initialised; runs C(restic check) only outside check mode.
    support: full
  diff_mode:
    description: Nothing to show as a diff; a repository is created or not.
    support: none
notes:
  - C(restic check) takes a lock and removes it when done. An append-only REST server lets a client remove locks,
    so this works from a backup client.
"""

EXAMPLES = r"""
- name: The host's repository on the backup server, pinned to the municipality's CA
  cyberveilig.landingzone.restic_repository:
    repository: "rest:https://app1:{{ rest_password }}@backup1.example:8443/app1/"
    password: "{{ repository_password }}"
    cacert: /etc/landingzone-backup/ca.crt
    check: true
    read_data_subset: 1/20

- name: A local repository on the backup server, owned by the REST service account
  cyberveilig.landingzone.restic_repository:
    repository: /srv/restic/app1
    password: "{{ repository_password }}"
    run_as: restic-rest
"""

RETURN = r"""
location:
  description: The repository location without credentials.
  returned: always
  type: str
  sample: rest:https://backup1.example:8443/app1/
shared:
  description: How many files and directories were given to O(group) or its permissions (in check mode, would be).
  returned: when O(group) is set
  type: int
initialised:
  description: Whether this run initialised the repository (in check mode, would initialise).
  returned: always
  type: bool
check:
  description: The outcome of C(restic check), when O(check=true) and not in check mode.
  returned: when check ran
  type: dict
  contains:
    ok:
      description: Whether the check found no errors.
      type: bool
    read_data_subset:
      description: The subset of data that was read, or null.
      type: str
    output:
      description: The last lines of restic's report.
      type: str
error:
  description: Why it failed, sorted into C(kind) (wrong_password, disk_full, server_error, unauthorized, locked, tls,
    unreachable, absent, missing, timeout, error) and C(message) (restic's words without secrets).
  returned: on failure
  type: dict
"""

import grp
import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._restic import (
    CONNECTION_ARGUMENT_SPEC,
    Restic,
    ResticError,
    redact_location,
)

ARGUMENT_SPEC = dict(
    CONNECTION_ARGUMENT_SPEC,
    state={"type": "str", "choices": ["present"], "default": "present"},
    check={"type": "bool", "default": False},
    read_data_subset={"type": "str"},
    init_from_repository={"type": "str", "no_log": True},
    init_from_password={"type": "str", "no_log": True},
    group={"type": "str"},
)
DIRECTORY_BITS = stat.S_IRWXG | stat.S_ISGID
FILE_BITS = stat.S_IRGRP


def share_with_group(root, group, check_mode) -> int:
    """Give every path under ``root`` to ``group`` with the group bits it needs; how many changed."""
    if not os.path.isdir(root):
        return 0
    gid = grp.getgrnam(group).gr_gid
    changed = 0
    for directory, _, files in os.walk(root):
        for path in [directory, *(os.path.join(directory, name) for name in files)]:
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                continue
            bits = DIRECTORY_BITS if stat.S_ISDIR(info.st_mode) else FILE_BITS
            mode = stat.S_IMODE(info.st_mode)
            if info.st_gid == gid and mode & bits == bits:
                continue
            changed += 1
            if not check_mode:
                os.chown(path, -1, gid)
                # chown clears setgid on some systems: the mode is set after it.
                os.chmod(path, mode | bits)
    return changed


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    restic = Restic.from_params(params)
    module.no_log_values.update(secret for secret in restic.secrets() if secret)
    result = {"changed": False, "initialised": False, "location": restic.location}
    group = params["group"]
    if group:
        try:
            grp.getgrnam(group)
        except KeyError:
            module.fail_json(msg=f"group: {group!r} does not exist on this host", **result)
        if not params["repository"].startswith("/"):
            module.fail_json(
                msg="group: only a local repository (an absolute path) can be shared with a group", **result
            )
        result["shared"] = share_with_group(params["repository"], group, module.check_mode)
    try:
        if not restic.exists():
            result.update(changed=True, initialised=True)
            if not module.check_mode:
                restic.init(params["init_from_repository"], params["init_from_password"])
                if group:
                    result["shared"] += share_with_group(params["repository"], group, False)
        if result.get("shared"):
            result["changed"] = True
        if params["check"] and not module.check_mode:
            output = restic.check(params["read_data_subset"])
            result["check"] = {
                "ok": True,
                "read_data_subset": params["read_data_subset"],
                "output": "\n".join(output.strip().splitlines()[-5:]),
            }
    except ResticError as exc:
        where = redact_location(params["repository"])
        module.fail_json(msg=f"restic repository {where}: {exc.message}", error=exc.as_dict(), **result)
    result["failed"] = False
    module.exit_json(**result)


if __name__ == "__main__":
    main()
