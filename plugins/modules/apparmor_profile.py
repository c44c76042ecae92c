#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: apparmor_profile
short_description: Install a service's AppArmor profile and load it in enforce mode where AppArmor runs
description:
  - Writes O(content) to C(/etc/apparmor.d/NAME), where the boot loads it, after C(apparmor_parser) has parsed it
    (when the parser is installed).
  - Loads it with C(apparmor_parser -r) in enforce mode when the profile is new or changed, or is not loaded in
    enforce mode, and removes the C(disable) and C(force-complain) links that would keep it from enforcing at boot.
  - Loads nothing where AppArmor cannot load a profile (in a container, where the kernel's AppArmor is off, or where
    C(apparmor_parser) is not installed) and says why in RV(skipped_reason); that is no failure, and the file is
    installed all the same, ready for the day AppArmor runs.
  - RV(enforcing) says whether the profile is (or, in check mode, would be) loaded in enforce mode afterwards, so that
    a role names the profile in its unit (C(AppArmorProfile=)) only where the kernel can confine the service with it.
version_added: 0.2.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  name:
    description:
      - The profile's name, which is also its file name under C(/etc/apparmor.d); O(content) must declare
        C(profile NAME).
      - Lower-case letters, digits and C(-), starting with C(landingzone-), so no profile of another package is
        overwritten.
    type: str
    required: true
  content:
    description: The whole profile, as the role rendered it.
    type: str
    required: true
attributes:
  check_mode:
    description: Predicts whether the file changes and whether the profile would be loaded, and changes nothing.
    support: full
  diff_mode:
    description: Shows the profile file before and after.
    support: full
"""

EXAMPLES = r"""
- name: Confine the REST server with its AppArmor profile
  cyberveilig.landingzone.apparmor_profile:
    name: landingzone-restic-rest
    content: "{{ lookup('ansible.builtin.template', 'apparmor-landingzone-restic-rest.j2') }}"
  register: backup_server_apparmor
"""

RETURN = r"""
path:
  description: Where the profile file is.
  returned: always
  type: str
  sample: /etc/apparmor.d/landingzone-restic-rest
loaded:
  description: Whether this run loaded (or, in check mode, would load) the profile into the kernel.
  returned: always
  type: bool
enforcing:
  description: Whether the profile is, after this run, loaded in enforce mode (in check mode, whether it would be).
  returned: always
  type: bool
skipped_reason:
  description: Why the profile was not loaded, when AppArmor cannot load it here; empty otherwise.
  returned: always
  type: str
  sample: "not loaded: this host is a container, whose profiles the host's kernel would hold"
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule

PROFILE_DIR = "/etc/apparmor.d"
SECURITYFS = "/sys/kernel/security/apparmor"
ENABLED = "/sys/module/apparmor/parameters/enabled"
# What podman and systemd leave in a container: a profile loaded there would land in the host's kernel.
CONTAINER_MARKS = ("/run/.containerenv", "/.dockerenv", "/run/systemd/container")
NAME = re.compile(r"landingzone-[a-z0-9][a-z0-9-]{0,62}\Z")


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return None


def why_not_loadable(parser):
    """Why this host cannot load a profile, or "" when it can."""
    if any(os.path.exists(mark) for mark in CONTAINER_MARKS):
        return "not loaded: this host is a container, whose profiles the host's kernel would hold"
    if not os.path.isdir(SECURITYFS) or (_read(ENABLED) or "").strip() != "Y":
        return f"not loaded: AppArmor is not enabled in this kernel ({SECURITYFS} is missing)"
    if parser is None:
        return "not loaded: apparmor_parser is not installed (the apparmor package)"
    return ""


def loaded_mode(name):
    """The mode the kernel holds the profile in (enforce, complain ...), or None when it is not loaded."""
    listing = _read(os.path.join(SECURITYFS, "profiles")) or ""
    for line in listing.splitlines():
        profile, separator, mode = line.rpartition(" (")
        if separator and profile == name:
            return mode.rstrip(")")
    return None


def parse_check(module, parser, content):
    """apparmor_parser's verdict on the content, without loading it: an error fails the task, naming the profile."""
    with tempfile.NamedTemporaryFile("w", suffix=".profile", encoding="utf-8") as draft:
        draft.write(content)
        draft.flush()
        rc, out, err = module.run_command([parser, "--skip-kernel-load", "--skip-cache", "--quiet", draft.name])
    if rc != 0:
        why = (err or out).strip()
        module.fail_json(msg=f"apparmor_profile {module.params['name']}: apparmor_parser refuses it: {why}")


def main():
    module = AnsibleModule(
        argument_spec={"name": {"type": "str", "required": True}, "content": {"type": "str", "required": True}},
        supports_check_mode=True,
    )
    name, content = module.params["name"], module.params["content"]
    if not NAME.match(name):
        module.fail_json(msg=f"apparmor_profile: name {name[:40]!r} is not landingzone- followed by a-z, 0-9 and -")
    if not re.search(rf"^\s*profile\s+{re.escape(name)}[\s{{]", content, re.MULTILINE):
        module.fail_json(msg=f"apparmor_profile {name}: the content declares no 'profile {name}'")
    if not content.endswith("\n"):
        content += "\n"

    parser = module.get_bin_path("apparmor_parser")
    if parser is not None:
        parse_check(module, parser, content)
    path = os.path.join(PROFILE_DIR, name)
    before = _read(path)
    file_changed = before != content
    # Either link keeps the profile from being enforced when apparmor.service loads it at boot.
    stale_links = [
        link
        for link in (os.path.join(PROFILE_DIR, sub, name) for sub in ("disable", "force-complain"))
        if os.path.lexists(link)
    ]
    skipped_reason = why_not_loadable(parser)
    load = not skipped_reason and (file_changed or bool(stale_links) or loaded_mode(name) != "enforce")

    if not module.check_mode:
        if file_changed:
            os.makedirs(PROFILE_DIR, mode=0o755, exist_ok=True)
            fd, staged = tempfile.mkstemp(prefix=f".{name}.", dir=PROFILE_DIR)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.chmod(staged, 0o644)
            module.atomic_move(staged, path)
        for link in stale_links:
            os.unlink(link)
        if load:
            rc, out, err = module.run_command([parser, "--replace", path])
            if rc != 0:
                why = (err or out).strip()
                module.fail_json(msg=f"apparmor_profile {name}: apparmor_parser could not load {path}: {why}")
            mode = loaded_mode(name)
            if mode != "enforce":
                module.fail_json(msg=f"apparmor_profile {name}: loaded, but the kernel holds it in mode {mode!r}")

    result = {
        "changed": file_changed or bool(stale_links) or load,
        "path": path,
        "loaded": load,
        "enforcing": not skipped_reason,
        "skipped_reason": skipped_reason,
    }
    if module._diff:
        result["diff"] = {"before": before or "", "after": content, "before_header": path, "after_header": path}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
