#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apparmor_confinement_status
short_description: Report, as evidence, whether a service runs in its AppArmor profile in enforce mode
description:
  - Reads, without changing anything, what the running kernel says about one service and its profile, the way
    C(aa-status) does it; the mode C(/sys/kernel/security/apparmor/profiles) lists the profile in, and the label
    (C(/proc/PID/attr/current)) of every process of the service's systemd unit.
  - Returns it as C(landingzone_evidence) (section C(confinement)), which the landingzone CLI stores in the run's
    results.json under the host. The roles that ship a profile record their service with it once the service runs.
  - The verdict is V(pass) only when the profile is loaded in enforce mode and the unit has at least one process,
    every one of them confined by the profile (or one of its child profiles) in enforce mode. In a container it is
    V(not_applicable), with the reason (the profiles there would be the host's kernel's). Anything else is V(fail),
    with the reason in words, AppArmor switched off in the kernel included.
  - In check mode it reads the host as it is, before the changes the run would make.
version_added: 0.2.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  profile:
    description: The profile's name, as the kernel lists it (for the collection's own, C(landingzone-...)).
    type: str
    required: true
  unit:
    description: The systemd service whose processes must run in O(profile), such as C(nginx.service).
    type: str
    required: true
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
- name: Record that the REST server runs in its AppArmor profile
  cyberveilig.landingzone.apparmor_confinement_status:
    profile: landingzone-restic-rest
    unit: landingzone-restic-rest.service
"""

RETURN = r"""
landingzone_evidence:
  description: C({section, record}) for the CLI's evidence, section C(confinement); the record holds everything below.
  returned: always
  type: dict
verdict:
  description: V(pass), V(fail) or V(not_applicable) (in a container), as the description says.
  returned: always
  type: str
  sample: pass
service:
  description: The unit, as given.
  returned: always
  type: str
  sample: landingzone-restic-rest.service
profile:
  description: The profile, as given.
  returned: always
  type: str
  sample: landingzone-restic-rest
profile_mode:
  description: The mode the kernel holds the profile in (C(enforce), C(complain) ...); null when it is not loaded.
  returned: always
  type: str
  sample: enforce
processes:
  description: Every process of the unit, with its id, its name and the label the kernel gives it.
  returned: always
  type: list
  elements: dict
  sample: [{"pid": 590, "name": "rclone", "label": "landingzone-restic-rest (enforce)"}]
reason:
  description: Why the verdict is not V(pass), in words; empty when it is.
  returned: always
  type: str
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import apparmor
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.host import Host

SECTION = "confinement"
# A profile's name as the kernel lists it, without the space or parenthesis that would make a
# process's label ambiguous; a unit as systemd spells a service's name.
PROFILE_NAME = re.compile(r"[A-Za-z0-9/][A-Za-z0-9._/+-]{0,199}\Z")
UNIT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9:_.@-]{0,240}\.service\Z")


def unit_processes(ctx, unit):
    """[{pid, name, label}] of the processes of ``unit``, by their cgroup; one that ends while it is
    read (a worker replaced, a short-lived child) has no label left and is not counted."""
    found = []
    for pid in apparmor.process_ids(ctx):
        if apparmor.process_unit(ctx, pid) == unit:
            label = apparmor.process_label(ctx, pid)
            if label:
                found.append({"pid": pid, "name": apparmor.process_name(ctx, pid), "label": label})
    return found


def confined_by(label, profile):
    """Whether a process's label is ``profile`` (or a child profile of it) in enforce mode."""
    name, mode = apparmor.parse_label(label)
    return mode == "enforce" and (name == profile or name.startswith(f"{profile}//"))


def confinement_record(ctx, profile, unit):
    """The evidence record of ``unit`` in ``profile`` on the host ``ctx`` reads."""
    record = {"service": unit, "profile": profile, "profile_mode": None, "processes": [], "reason": ""}
    if ctx.host_kind == "container":
        return {**record, "reason": apparmor.CONTAINER_REASON, "verdict": "not_applicable"}
    if not apparmor.enabled(ctx):
        return {**record, "reason": apparmor.not_enabled_reason(ctx), "verdict": "fail"}
    record["profile_mode"] = apparmor.loaded_profiles(ctx).get(profile)
    record["processes"] = unit_processes(ctx, unit)
    outside = [p for p in record["processes"] if not confined_by(p["label"], profile)]
    if record["profile_mode"] is None:
        record["reason"] = f"the kernel has no profile {profile} loaded"
    elif record["profile_mode"] != "enforce":
        record["reason"] = f"the kernel holds {profile} in {record['profile_mode']} mode, not enforce"
    elif not record["processes"]:
        record["reason"] = f"{unit} has no running process to confine"
    elif outside:
        record["reason"] = "; ".join(f"{p['name']} (pid {p['pid']}) of {unit} runs as {p['label']}" for p in outside)
    return {**record, "verdict": "fail" if record["reason"] else "pass"}


def main():
    module = AnsibleModule(
        argument_spec={"profile": {"type": "str", "required": True}, "unit": {"type": "str", "required": True}},
        supports_check_mode=True,
    )
    profile, unit = module.params["profile"], module.params["unit"]
    if not PROFILE_NAME.match(profile):
        module.fail_json(msg=f"apparmor_confinement_status: profile {profile[:40]!r} is not a profile's name")
    if not UNIT_NAME.match(unit):
        module.fail_json(msg=f"apparmor_confinement_status: unit {unit[:40]!r} is not a systemd service's name")
    record = confinement_record(Host(check_mode=True), profile, unit)
    module.exit_json(changed=False, failed=False, landingzone_evidence={"section": SECTION, "record": record}, **record)


if __name__ == "__main__":
    main()
