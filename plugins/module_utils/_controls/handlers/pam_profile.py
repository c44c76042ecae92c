"""pam_profile: a pam-auth-update profile in /usr/share/pam-configs/, enabled.

When exempt accounts are configured, every pam_faillock line of the profile is preceded
by a pam_succeed_if line that skips it for those accounts, so the operator and the
break-glass account can never be locked out by failed attempts.
"""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import (
    check_plain_name,
    param,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_LIVE, Action

PARAMS = {
    "name": param("str", required=True),
    "module": param("str", required=True),
    "content": param("str", required=True),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`name`, `module`, `content`"
DOC_MANAGES = "a `pam-auth-update` profile in `/usr/share/pam-configs/`, enabled"


def validate(control_id, params):
    check_plain_name(control_id, "params.name", params["name"])


PROFILE_DIR = "/usr/share/pam-configs"
COMMON_FILES = ("common-auth", "common-account", "common-password", "common-session", "common-session-noninteractive")


def render(params, exempt_accounts):
    if not exempt_accounts:
        return params["content"]
    skip = f"[success=1 default=ignore] pam_succeed_if.so quiet user in {':'.join(sorted(exempt_accounts))}"
    out = []
    for line in params["content"].splitlines():
        if "pam_faillock.so" in line and not textedit.is_comment(line):
            indent = re.match(r"\s*", line).group(0)
            out.append(indent + skip)
        out.append(line)
    return "\n".join(out) + ("\n" if params["content"].endswith("\n") else "")


def _module_enabled(ctx, module):
    for name in COMMON_FILES:
        for line in textedit.ensure_text(ctx.read_text(f"/etc/pam.d/{name}")).splitlines():
            if module in line and not textedit.is_comment(line):
                return True
    return False


def check(params, ctx):
    path = f"{PROFILE_DIR}/{params['name']}"
    wanted = render(params, ctx.exempt_accounts)
    current = ctx.read_text(path)
    enabled = _module_enabled(ctx, params["module"])
    problems = []
    if current != wanted:
        problems.append(f"{path} is {'missing' if current is None else 'different'}")
    if not enabled:
        problems.append(f"{params['module']} is not in /etc/pam.d/common-*")
    return Finding(
        compliant=not problems,
        found={"profile_matches": current == wanted, "module_enabled": enabled},
        expected={"profile": path, "content": wanted, "module_enabled": True},
        reason="; ".join(problems),
    )


def fix(params, ctx, finding):
    path = f"{PROFILE_DIR}/{params['name']}"
    ctx.tx.stage_text(path, render(params, ctx.exempt_accounts), mode=0o644, owner="root", group="root")
    # Run it even when only the profile changed: pam-auth-update rewrites common-* from it.
    ctx.tx.add_action(
        Action(
            key=("pam-auth-update", params["name"]),
            description=f"pam-auth-update --enable {params['name']}",
            phase=PHASE_LIVE,
            argv=["pam-auth-update", "--enable", params["name"]],
            env={"DEBIAN_FRONTEND": "noninteractive"},
            requires=[path],
            touches=[f"/etc/pam.d/{name}" for name in COMMON_FILES],
        )
    )
