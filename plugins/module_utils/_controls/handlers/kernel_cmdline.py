"""kernel_cmdline: a kernel parameter on the boot command line, through a GRUB drop-in.

The drop-in appends to GRUB_CMDLINE_LINUX; update-grub writes grub.cfg and the new command
line takes effect at the next boot, so a change always means reboot_required. A host that
does not boot through GRUB (a VM started with its kernel and command line given from outside,
a container) gets nothing: the drop-in would never reach its kernel.
"""

from __future__ import annotations

import os
import re
import shlex

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_LIVE, Action

PARAMS = {
    "name": param("str", required=True),
    "value": param("scalar"),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`name`, `value` (optional)"
DOC_MANAGES = (
    "`/etc/default/grub.d/60-landingzone.cfg` appends to `GRUB_CMDLINE_LINUX`, `update-grub`; "
    "`reboot_required` until booted with it; `not_applicable` where GRUB does not boot the host"
)


def validate(control_id, params):
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", params["name"]):
        fail(control_id, "params.name", f"not a kernel parameter name: {params['name']!r}")


FILE = "/etc/default/grub.d/60-landingzone.cfg"
# update-grub writes it; GRUB reads it at boot. Without it nothing the drop-in says reaches a kernel.
GRUB_CONFIG = "/boot/grub/grub.cfg"
PREFIX = 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX'


def _argument(params):
    return params["name"] if params["value"] is None else f"{params['name']}={params['value']}"


def _ours(text):
    """Arguments our drop-in adds, in order, as {name: argument}."""
    for line in textedit.ensure_text(text).splitlines():
        if line.startswith(PREFIX):
            words = shlex.split(line.split("=", 1)[1])[0].split()[1:]
            return {word.split("=", 1)[0]: word for word in words}
    return {}


def _render(arguments):
    return f'{textedit.MANAGED_HEADER}\n{PREFIX} {" ".join(arguments.values())}"\n'


def check(params, ctx):
    wanted = _argument(params)
    configured = _ours(ctx.read_text(FILE)).get(params["name"])
    running = textedit.ensure_text(ctx.read_text("/proc/cmdline")).split()
    live = wanted in running
    finding = Finding(
        compliant=configured == wanted and live,
        found={"configured": configured, "running": live},
        expected={"configured": wanted, "running": True, "file": FILE},
    )
    problems = []
    if configured != wanted:
        problems.append(f"{FILE} does not add {wanted}")
    if not live:
        problems.append(f"the running kernel was not booted with {wanted}")
        finding.reboot_required = True
    if ctx.host_kind == "container":
        finding.live_reason = f"a container has no boot loader or kernel of its own; persistent setting in {FILE}"
        finding.reboot_required = False
    elif not os.path.exists(ctx.path(GRUB_CONFIG)):
        finding.live_reason = (
            f"this host does not boot through GRUB (no {GRUB_CONFIG}): its kernel command line is set "
            "where it is started from, not by the landing zone"
        )
        finding.reboot_required = False
    finding.reason = "; ".join(problems)
    return finding


def fix(params, ctx, finding):
    if finding.found["configured"] == finding.expected["configured"]:
        return  # configured already: only the reboot is missing
    if ctx.host_kind != "container" and finding.live_reason:
        return  # no GRUB: a drop-in would change nothing at the next boot
    arguments = _ours(ctx.read_text(FILE))
    arguments[params["name"]] = _argument(params)
    ctx.tx.stage_text(FILE, _render(arguments), mode=0o644)
    if ctx.host_kind != "container":
        ctx.tx.add_action(
            Action(
                key=("update-grub",), description="update-grub", phase=PHASE_LIVE, argv=["update-grub"], requires=[FILE]
            )
        )
