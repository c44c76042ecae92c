#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: restic_offsite_as_of
short_description: Copy a client's offsite repository as it was at a time, from the object versions
description:
  - The offsite bucket is versioned and locked, but keys that can write can still hide the history behind newer
    versions of its objects (an overwrite) or delete markers. This module reads the repository of one client as it
    was at O(as_of), from the object versions that were current then, and copies it into O(dest), a local
    directory that is then an ordinary restic repository (restore it with
    M(cyberveilig.landingzone.restic_restore_verify)).
  - It runs C(rclone copy --s3-version-at), with rclone's S3 backend configured through its environment only (no
    configuration file, no value on a command line), with the recovery credential, which the backup server never
    holds; it needs only to list and read the versions (the policy of the filter C(offsite_recovery_policy)).
  - The copy holds the arrival index as the server sent it with the copies (host C(landingzone-arrival-index)).
version_added: 0.2.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  endpoint:
    description: The S3 endpoint (http or https URL), as on the card's C(backup.offsite.endpoint).
    type: str
    required: true
  bucket:
    description: The offsite bucket.
    type: str
    required: true
  client:
    description: The client whose repository to copy (its prefix in the bucket).
    type: str
    required: true
  region:
    description: The bucket's region.
    type: str
    default: us-east-1
  access_key_id:
    description: The recovery credential's access key id.
    type: str
    required: true
  secret_access_key:
    description: The recovery credential's secret key.
    type: str
    required: true
  as_of:
    description:
      - The time to read the repository at, ISO 8601 with a zone (V(2026-11-20T06:00:00+01:00)); a time before the
        attack. Versions written after it are ignored, and objects deleted after it are back.
    type: str
    required: true
  dest:
    description: An empty or absent local directory that receives the repository.
    type: path
    required: true
  timeout:
    description: Seconds the copy may take.
    type: int
    default: 21600
requirements:
  - Python 3.11 or later on the host it runs on
  - C(rclone) 1.60 or later (Debian package rclone), for C(--s3-version-at)
attributes:
  check_mode:
    description: Lists what the copy would take (objects and bytes) and copies nothing.
    support: full
  diff_mode:
    description: Nothing to show as a diff.
    support: none
notes:
  - Needs rclone (1.60 or later, for C(--s3-version-at)) on the host it runs on.
"""

EXAMPLES = r"""
- name: demo-app1's repository as it was before the attack
  cyberveilig.landingzone.restic_offsite_as_of:
    endpoint: https://s3.provider.example
    bucket: gent-offsite-backup
    client: demo-app1
    access_key_id: "{{ offsite_recovery.access_key_id }}"
    secret_access_key: "{{ offsite_recovery.secret_access_key }}"
    as_of: "2026-11-20T06:00:00+01:00"
    dest: /var/tmp/recovery/demo-app1
  delegate_to: localhost
"""

RETURN = r"""
objects:
  description: How many objects the copy holds (or would hold, in check mode).
  returned: always
  type: int
bytes:
  description: Their size.
  returned: always
  type: int
as_of:
  description: The time read at, in UTC.
  returned: always
  type: str
dest:
  description: Where the repository is.
  returned: always
  type: str
"""

import datetime
import json
import os
import subprocess

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._restic_arrivals import valid_client

ARGUMENT_SPEC = {
    "endpoint": {"type": "str", "required": True},
    "bucket": {"type": "str", "required": True},
    "client": {"type": "str", "required": True},
    "region": {"type": "str", "default": "us-east-1"},
    "access_key_id": {"type": "str", "required": True, "no_log": True},
    "secret_access_key": {"type": "str", "required": True, "no_log": True},
    "as_of": {"type": "str", "required": True},
    "dest": {"type": "path", "required": True},
    "timeout": {"type": "int", "default": 21600},
}
REMOTE = "offsite"


def rclone_environment(params) -> dict:
    """rclone's S3 remote, from the environment alone: nothing of the caller's (a CA bundle, other
    keys) leaks in, and nothing reaches a command line."""
    prefix = f"RCLONE_CONFIG_{REMOTE.upper()}_"
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "RCLONE_CONFIG": "/dev/null",
        prefix + "TYPE": "s3",
        prefix + "PROVIDER": "Other",
        prefix + "ENDPOINT": params["endpoint"],
        prefix + "REGION": params["region"],
        prefix + "ACCESS_KEY_ID": params["access_key_id"],
        prefix + "SECRET_ACCESS_KEY": params["secret_access_key"],
    }


def rclone(module, params, *args):
    try:
        return subprocess.run(
            ["rclone", *args],
            env=rclone_environment(params),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=params["timeout"],
            check=False,
        )
    except FileNotFoundError:
        module.fail_json(msg="rclone: command not found; install rclone (1.60 or later)")
    except subprocess.TimeoutExpired:
        module.fail_json(msg=f"rclone {args[0]} did not finish within {params['timeout']}s")
    return None


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    if not valid_client(params["client"]):
        module.fail_json(msg=f"client: {params['client']!r} is not a client name (letters, digits and ._- only)")
    if "/" in params["bucket"] or not params["bucket"]:
        module.fail_json(msg=f"bucket: {params['bucket']!r} is not a bucket name")
    try:
        as_of = datetime.datetime.fromisoformat(params["as_of"])
    except ValueError:
        module.fail_json(msg=f"as_of: {params['as_of']!r} is not an ISO 8601 time")
    if as_of.tzinfo is None:
        module.fail_json(msg=f"as_of: {params['as_of']!r} has no time zone (add Z or +01:00)")
    stamp = as_of.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    source = f"{REMOTE}:{params['bucket']}/{params['client']}"
    version_at = ["--s3-version-at", stamp]
    # restic's locks are transient and may well be gone: the copy needs none.
    listed = rclone(module, params, "lsjson", "--recursive", "--files-only", *version_at, source)
    if listed.returncode != 0:
        module.fail_json(msg=f"rclone could not list {source} as of {stamp}: {listed.stderr.strip()[-1000:]}")
    objects = [entry for entry in json.loads(listed.stdout or "[]") if not entry["Path"].startswith("locks/")]
    result = {
        "changed": False,
        "failed": False,
        "objects": len(objects),
        "bytes": sum(int(entry.get("Size") or 0) for entry in objects),
        "as_of": stamp,
        "dest": params["dest"],
    }
    if not any(entry["Path"] == "config" for entry in objects):
        module.fail_json(msg=f"{source} held no restic repository as of {stamp} (no config object)", **result)
    if os.path.isdir(params["dest"]) and os.listdir(params["dest"]):
        module.fail_json(msg=f"dest: {params['dest']} is not empty; the copy goes into a new directory", **result)
    if module.check_mode:
        result["changed"] = True
        module.exit_json(msg=f"would copy {len(objects)} objects of {source} as of {stamp}", **result)
    copied = rclone(module, params, "copy", "--exclude", "locks/**", *version_at, source, params["dest"])
    if copied.returncode != 0:
        module.fail_json(msg=f"rclone could not copy {source} as of {stamp}: {copied.stderr.strip()[-1000:]}", **result)
    result["changed"] = True
    module.exit_json(msg=f"copied {len(objects)} objects of {source} as of {stamp} into {params['dest']}", **result)


if __name__ == "__main__":
    main()
