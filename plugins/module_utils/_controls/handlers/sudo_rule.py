"""sudo_rule: one sudoers rule in its own drop-in, /etc/sudoers.d/60-landingzone-<name>, checked by visudo."""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.sudoers import delegation_problem
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding

PARAMS = {
    "name": param("str", required=True),
    "rule": param("str", required=True),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = (
    "`name`, `rule` (a rule for ALL commands without NOEXEC, or named commands each with NOEXEC and its "
    "arguments, no negation)"
)
DOC_MANAGES = "one sudoers rule in `/etc/sudoers.d/60-landingzone-<name>`, validated with `visudo -c`"


def validate(control_id, params):
    # sudo skips drop-ins whose name contains a dot or ends in '~'.
    if not re.fullmatch(r"[A-Za-z0-9_\-]+", params["name"]):
        fail(control_id, "params.name", f"must be letters, digits, '-' or '_', got {params['name']!r}")
    if "\n" in params["rule"]:
        fail(control_id, "params.rule", "must be one sudoers line")
    problem = delegation_problem(params["rule"])
    if problem:
        fail(control_id, "params.rule", problem)


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
