#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_drift
short_description: Tell, in one read of the host, which parts of a role's wanted state the host does not have
description:
  - A role that states its files, directories, packages, units, groups and accounts task by task pays one module
    execution for each of them on every run, even when nothing differs. This module reads all of them at once and
    returns what differs, so that the role's own tasks (M(ansible.builtin.copy), M(ansible.builtin.user) ...) run
    only for those; a run that finds nothing to change costs one execution.
  - It only reads, and runs the same in check mode. Contents never travel to the host or back; the controller
    sends each file's SHA-256 and the host compares it with its own.
  - Owners and groups are compared by name, as the roles give them.
version_added: 0.2.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  files:
    description:
      - Regular files the role writes. One is stale when it is missing, is not a regular file, or differs in
        content, mode, owner or group.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: The file's absolute path., type: str, required: true}
      sha256:
        description:
          - The SHA-256 (hex) of the content the role writes, or with O(files[].first_line) of its first line alone
            (without the newline).
          - Without it, only the mode, owner and group are compared, and the file's own SHA-256 is returned in
            RV(checksums), for content the controller can render only once it has read the host (a UID in it).
          - Kept out of the module's logged arguments (no_log), so that the checksum of a secret's file is not shown.
        type: str
      first_line:
        description: Compare the first line only, for a file a service writes to after it (a TOTP secret's file).
        type: bool
        default: false
      mode: {description: "The mode, as four octal digits (C(0644)).", type: str, required: true}
      also_modes:
        description: Other modes that are as good, for a file a service writes back with fewer rights (C(0400)).
        type: list
        elements: str
        default: []
      owner: {description: The owning user's name., type: str, required: true}
      group: {description: The owning group's name., type: str, required: true}
  directories:
    description: Directories the role makes; one is stale when it is missing, is not a directory, or differs in mode,
      owner or group.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: The directory's absolute path., type: str, required: true}
      mode: {description: "The mode, as four octal digits.", type: str, required: true}
      owner: {description: The owning user's name., type: str, required: true}
      group: {description: The owning group's name., type: str, required: true}
  absent:
    description: Paths the role removes; the ones that exist are returned in RV(present).
    type: list
    elements: str
    default: []
  directory_entries:
    description: Directories in which the role keeps only the entries it names; the others are returned in
      RV(stray_entries).
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: The directory's absolute path., type: str, required: true}
      keep: {description: The names of the entries that belong there., type: list, elements: str, default: []}
  packages:
    description: Debian packages the role installs; the ones dpkg does not hold as fully installed are returned in
      RV(missing_packages).
    type: list
    elements: str
    default: []
  units:
    description: systemd units the role enables or starts.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: The unit's full name (C(xrdp.service))., type: str, required: true}
      enabled: {description: Whether it must be enabled., type: bool, default: false}
      active:
        description:
          - Whether it must be active. A unit that systemd skipped because its conditions fail on this host is not
            stale for that (starting it again would change nothing).
        type: bool
        default: false
  groups:
    description: Groups the role makes; the missing ones are returned in RV(missing_groups).
    type: list
    elements: str
    default: []
  accounts:
    description: Local accounts the role makes.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: The account's name., type: str, required: true}
      groups: {description: "Its supplementary groups, all of them.", type: list, elements: str, default: []}
      shell: {description: Its login shell., type: str, required: true}
requirements:
  - Python 3.11 or later on the target
attributes:
  check_mode:
    description: Only reads; runs the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is no diff.
    support: none
  platform:
    description: Debian 12 and 13.
    platforms: debian
    support: full
"""

EXAMPLES = r"""
- name: Read what of the desk differs from the role's wanted state
  cyberveilig.landingzone.host_drift:
    files:
      - path: /etc/xrdp/xrdp.ini
        sha256: "{{ lookup('ansible.builtin.template', 'xrdp.ini.j2') | hash('sha256') }}"
        mode: "0644"
        owner: root
        group: root
    units:
      - {name: xrdp.service, enabled: true, active: true}
    packages: [xrdp]
  register: desk_drift

- name: Configure xrdp
  ansible.builtin.copy:
    content: "{{ lookup('ansible.builtin.template', 'xrdp.ini.j2') }}"
    dest: /etc/xrdp/xrdp.ini
    owner: root
    group: root
    mode: "0644"
  when: "'/etc/xrdp/xrdp.ini' in desk_drift.stale_files"
"""

RETURN = r"""
stale_files:
  description: The paths of O(files) that differ, in the order given.
  returned: always
  type: list
  elements: str
checksums:
  description: The SHA-256 of each file of O(files) given without one, by path (null where it is no regular file).
  returned: always
  type: dict
stale_directories:
  description: The paths of O(directories) that differ, in the order given.
  returned: always
  type: list
  elements: str
present:
  description: The paths of O(absent) that exist.
  returned: always
  type: list
  elements: str
stray_entries:
  description: The full paths of the entries of O(directory_entries) that are not kept, sorted.
  returned: always
  type: list
  elements: str
missing_packages:
  description: The packages of O(packages) that are not fully installed.
  returned: always
  type: list
  elements: str
stale_units:
  description: The units of O(units) that are not enabled or not active where they must be.
  returned: always
  type: list
  elements: str
missing_groups:
  description: The groups of O(groups) that do not exist.
  returned: always
  type: list
  elements: str
stale_accounts:
  description: The accounts of O(accounts) that are missing or differ in shell or supplementary groups.
  returned: always
  type: list
  elements: str
passwordless_accounts:
  description: The accounts of O(accounts) with no usable password (none yet, locked, or missing); never a hash.
  returned: always
  type: list
  elements: str
account_uids:
  description: The UID of each account of O(accounts) that exists, as /etc/passwd writes it.
  returned: always
  type: dict
container:
  description: Whether the host is a container (it cannot mount, nor load AppArmor profiles).
  returned: always
  type: bool
drift:
  description: Whether anything above differs from the wanted state (an account without a password included).
  returned: always
  type: bool
"""

import os
import re
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import accounts, fileops
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers import package, service
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.host import Host

# An account without a usable password: an empty field, or only the locking marks.
NO_PASSWORD = re.compile(r"[!*]*\Z")


def listed(options=None):
    """A list option, empty by default: of strings, or of dicts with these sub-options."""
    if options is None:
        return {"type": "list", "elements": "str", "default": []}
    return {"type": "list", "elements": "dict", "default": [], "options": options}


REQUIRED = {"type": "str", "required": True}
OWNED = {"path": REQUIRED, "mode": REQUIRED, "owner": REQUIRED, "group": REQUIRED}
ARGUMENT_SPEC = {
    "files": listed(
        {
            **OWNED,
            "sha256": {"type": "str", "no_log": True},
            "first_line": {"type": "bool", "default": False},
            "also_modes": listed(),
        }
    ),
    "directories": listed(OWNED),
    "absent": listed(),
    "directory_entries": listed({"path": REQUIRED, "keep": listed()}),
    "packages": listed(),
    "units": listed(
        {"name": REQUIRED, "enabled": {"type": "bool", "default": False}, "active": {"type": "bool", "default": False}}
    ),
    "groups": listed(),
    "accounts": listed({"name": REQUIRED, "groups": listed(), "shell": REQUIRED}),
}


def owned_as_wanted(ctx, info, wanted):
    owner, group = ctx.names_of(info.st_uid, info.st_gid)
    modes = [wanted["mode"], *wanted.get("also_modes", [])]
    return f"{stat.S_IMODE(info.st_mode):04o}" in modes and (owner, group) == (wanted["owner"], wanted["group"])


def lstat(ctx, path):
    try:
        return os.lstat(ctx.path(path))
    except FileNotFoundError:
        return None


def regular_file(ctx, path):
    """The file's stat, or None when it is missing or no regular file (a directory, a symlink)."""
    info = lstat(ctx, path)
    return info if info is not None and stat.S_ISREG(info.st_mode) else None


def checksum(ctx, wanted):
    """SHA-256 of the file's content as the role compares it (its first line alone with first_line)."""
    content = fileops.read_bytes(ctx.path(wanted["path"])) or b""
    return fileops.sha256_of(content.split(b"\n", 1)[0] if wanted["first_line"] else content)


def file_is_stale(ctx, wanted):
    info = regular_file(ctx, wanted["path"])
    if info is None or not owned_as_wanted(ctx, info, wanted):
        return True
    return wanted["sha256"] is not None and checksum(ctx, wanted) != wanted["sha256"].lower()


def directory_is_stale(ctx, wanted):
    info = lstat(ctx, wanted["path"])
    return info is None or not stat.S_ISDIR(info.st_mode) or not owned_as_wanted(ctx, info, wanted)


def stray_entries(ctx, wanted):
    try:
        names = os.listdir(ctx.path(wanted["path"]))
    except FileNotFoundError:
        return []
    return [os.path.join(wanted["path"], name) for name in sorted(set(names) - set(wanted["keep"]))]


def unit_is_stale(ctx, wanted):
    enablement, activity = service.unit_state(ctx, wanted["name"])
    if wanted["enabled"] and enablement not in service.ENABLED_STATES:
        return True
    if not wanted["active"] or activity == "active":
        return False
    # A missing or masked unit was never tried, whatever its ConditionResult says.
    return enablement in ("masked", "not-found") or not service.condition_failed(ctx, wanted["name"])


def read_accounts(ctx, wanted_accounts, group_rows):
    """(stale, passwordless, uids) of the wanted accounts, from the account databases."""
    passwd = {row[0]: row for row in accounts.parse(ctx.read_text("/etc/passwd"), accounts.PASSWD_FIELDS)}
    shadow = {row[0]: row[1] for row in accounts.parse(ctx.read_text("/etc/shadow"), accounts.SHADOW_FIELDS)}
    members = {}
    for row in group_rows:
        for name in filter(None, row[3].split(",")):
            members.setdefault(name, set()).add(row[0])
    stale, passwordless, uids = [], [], {}
    for wanted in wanted_accounts:
        name, row = wanted["name"], passwd.get(wanted["name"])
        if row is None:
            stale.append(name)
            passwordless.append(name)
            continue
        uids[name] = row[2]
        if row[6] != wanted["shell"] or members.get(name, set()) != set(wanted["groups"]):
            stale.append(name)
        if NO_PASSWORD.match(shadow.get(name, "")):
            passwordless.append(name)
    return stale, passwordless, uids


def host_drift(ctx, params):
    """What of ``params`` (the module's options) the host ``ctx`` reads does not have."""
    group_rows = accounts.parse(ctx.read_text("/etc/group"), accounts.GROUP_FIELDS)
    groups = {row[0] for row in group_rows}
    # Installed and configured: a package only unpacked is still for apt to finish.
    installed = (
        package.installed_packages(ctx.read_text(package.STATUS_FILE), frozenset({"installed"}))
        if params["packages"]
        else set()
    )
    stale_accounts, passwordless, uids = read_accounts(ctx, params["accounts"], group_rows)
    found = {
        "stale_files": [wanted["path"] for wanted in params["files"] if file_is_stale(ctx, wanted)],
        "stale_directories": [wanted["path"] for wanted in params["directories"] if directory_is_stale(ctx, wanted)],
        "present": [path for path in params["absent"] if lstat(ctx, path) is not None],
        "stray_entries": [path for wanted in params["directory_entries"] for path in stray_entries(ctx, wanted)],
        "missing_packages": [name for name in params["packages"] if name not in installed],
        "stale_units": [wanted["name"] for wanted in params["units"] if unit_is_stale(ctx, wanted)],
        "missing_groups": [name for name in params["groups"] if name not in groups],
        "stale_accounts": stale_accounts,
        "passwordless_accounts": passwordless,
    }
    return {
        **found,
        "checksums": {
            wanted["path"]: checksum(ctx, wanted) if regular_file(ctx, wanted["path"]) else None
            for wanted in params["files"]
            if wanted["sha256"] is None
        },
        "account_uids": uids,
        "container": ctx.detect_host_kind() == "container",
        "drift": any(found.values()),
    }


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    relative = [
        path
        for path in [
            *(wanted["path"] for key in ("files", "directories", "directory_entries") for wanted in module.params[key]),
            *module.params["absent"],
        ]
        if not path.startswith("/")
    ]
    if relative:
        module.fail_json(msg=f"host_drift: paths must be absolute: {', '.join(relative[:5])}")
    module.exit_json(changed=False, **host_drift(Host(check_mode=True), module.params))


if __name__ == "__main__":
    main()
