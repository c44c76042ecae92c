"""What the running kernel says about AppArmor, read through the root prefix.

The kernel is the authority, not the files under /etc/apparmor.d: a profile counts once it is
loaded, in the mode the kernel lists for it. The handlers of the AppArmor controls share this.
"""

from __future__ import annotations

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
