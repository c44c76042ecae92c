"""sudo_rule: one sudoers rule in its own drop-in, /etc/sudoers.d/60-landingzone-<name>, checked by visudo."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding


def path_of(params):
    return f"/etc/sudoers.d/60-landingzone-{params['name']}"


def content_of(params):
    return f"{textedit.MANAGED_HEADER}\n{params['rule'].strip()}\n"


def check(params, ctx):
    path = path_of(params)
    current = ctx.read_text(path)
    present = textedit.has_line(current, params["rule"])
    exact = current == content_of(params)
    return Finding(
        compliant=exact,
        found={"file": path, "rule_present": present, "only_this_rule": exact},
        expected={"file": path, "rule": params["rule"].strip()},
        reason="" if exact else f"{path} {'does not exist' if current is None else 'differs'}",
    )


def fix(params, ctx, finding):
    ctx.tx.stage_text(path_of(params), content_of(params), mode=0o440, owner="root", group="root")
