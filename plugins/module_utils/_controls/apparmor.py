"""What the running kernel says about AppArmor, read through the root prefix.

The kernel is the authority, not the files under /etc/apparmor.d: a profile counts once it is
loaded, in the mode the kernel lists for it, and a process is confined by the label the kernel
gives it. The handlers of the AppArmor controls and the services' confinement evidence
(apparmor_confinement_status) share this.
"""

from __future__ import annotations

import os
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding

ENABLED = "/sys/module/apparmor/parameters/enabled"
PROFILES = "/sys/kernel/security/apparmor/profiles"
POLICY_DIR = "/etc/apparmor.d"
FORCE_COMPLAIN_DIR = "/etc/apparmor.d/force-complain"
CONTAINER_REASON = (
    "a container shares the host's kernel: the AppArmor policy loaded there is the host's, judged on the host"
)
# One line of the profiles file: "NAME (MODE)"; a name may hold spaces, the mode never does.
_PROFILE_LINE = re.compile(r"^(?P<name>.+) \((?P<mode>[a-z_]+)\)$")


def enabled(ctx):
    """Whether the running kernel enforces AppArmor ("Y" in its module parameter)."""
    return textedit.ensure_text(ctx.read_text(ENABLED)).strip() == "Y"


def not_enabled_reason(ctx):
    state = textedit.ensure_text(ctx.read_text(ENABLED)).strip() or "absent"
    return (
        f"AppArmor is not enabled in the running kernel ({ENABLED}: {state}); "
        "it needs apparmor=1 security=apparmor on the kernel command line and a reboot"
    )


def unjudgeable(ctx, expected):
    """The finding of an AppArmor control where the kernel's policy cannot be judged from here (a
    container, or AppArmor off in the running kernel), or None where it can. ``expected`` is the
    control's expected state once AppArmor is on."""
    if ctx.host_kind == "container":
        return Finding(compliant=False, reason="not judged in a container", live_reason=CONTAINER_REASON)
    if not enabled(ctx):
        return Finding(
            compliant=False,
            found={"enabled": False},
            expected={"enabled": True, **expected},
            reason=not_enabled_reason(ctx),
            fixable=False,
        )
    return None


def loaded_profiles(ctx):
    """{profile name: mode} as the kernel lists them, child profiles (NAME//CHILD) included."""
    profiles = {}
    for line in textedit.ensure_text(ctx.read_text(PROFILES)).splitlines():
        match = _PROFILE_LINE.match(line.strip())
        if match:
            profiles[match.group("name")] = match.group("mode")
    return profiles


def parse_label(label):
    """(profile, mode) of a label the kernel gives a process or lists a profile with ("NAME (MODE)"),
    or (label, None) for one without a mode ("unconfined")."""
    match = _PROFILE_LINE.match(label.strip())
    return (match.group("name"), match.group("mode")) if match else (label.strip(), None)


def process_ids(ctx):
    """The ids of the processes under /proc, in order; none where /proc cannot be read."""
    try:
        return sorted(int(entry) for entry in os.listdir(ctx.path("/proc")) if entry.isdigit())
    except OSError:
        return []


def _proc_text(ctx, path):
    try:
        return textedit.ensure_text(ctx.read_text(path)).strip().rstrip("\x00")
    except OSError:  # the process ended while we looked
        return ""


def process_label(ctx, pid):
    """The process's AppArmor label: "NAME (MODE)", "unconfined", or "" once it has ended."""
    # Since Linux 5.8 AppArmor has its own attr directory, which another security module cannot claim.
    own = f"/proc/{pid}/attr/apparmor/current"
    return _proc_text(ctx, own if os.path.exists(ctx.path(own)) else f"/proc/{pid}/attr/current")


def process_name(ctx, pid):
    return _proc_text(ctx, f"/proc/{pid}/comm")


def process_executable(ctx, pid):
    """The program the process runs, or "" for a kernel thread or a process that ended."""
    try:
        target = os.readlink(ctx.path(f"/proc/{pid}/exe"))
    except OSError:
        return ""
    return target.removesuffix(" (deleted)")


def process_unit(ctx, pid):
    """The systemd service the process runs in (cgroup v2 or the v1 name=systemd line), or ""."""
    for line in _proc_text(ctx, f"/proc/{pid}/cgroup").splitlines():
        hierarchy, _, path = line.partition(":")[2].partition(":")
        if hierarchy in ("", "name=systemd"):
            unit = path.rstrip("/").rsplit("/", 1)[-1]
            if unit.endswith(".service"):
                return unit
    return ""


def by_mode(profiles):
    """{mode: [names]}: the summary aa-status prints, kept as evidence."""
    modes = {}
    for name, mode in sorted(profiles.items()):
        modes.setdefault(mode, []).append(name)
    return modes


def status_report(ctx):
    """aa-status's own words, for the evidence; None where the tool is not installed."""
    result = ctx.run(["aa-status"])
    return result.stdout if result.ok and result.stdout else None
