"""kernel_module: never load a module: `install <name> /bin/false` and `blacklist <name>`."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import (
    check_plain_name,
    param,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding

PARAMS = {
    "name": param("str", required=True),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`name`"
DOC_MANAGES = "`install <name> /bin/false` + `blacklist` in `/etc/modprobe.d/60-landingzone.conf`"


def validate(control_id, params):
    check_plain_name(control_id, "params.name", params["name"])


FILE = "/etc/modprobe.d/60-landingzone.conf"


def _wanted_lines(name):
    return [f"install {name} /bin/false", f"blacklist {name}"]


def _loaded(ctx, name):
    modules = textedit.ensure_text(ctx.read_text("/proc/modules")).splitlines()
    # The kernel lists modules with underscores whatever the name on disk uses.
    return any(line.split(" ", 1)[0] == name.replace("-", "_") for line in modules)


def check(params, ctx):
    name = params["name"]
    text = ctx.read_text(FILE)
    missing = [line for line in _wanted_lines(name) if not textedit.has_line(text, line)]
    loaded = _loaded(ctx, name)
    problems = []
    if missing:
        problems.append(f"{FILE} lacks {missing}")
    if loaded:
        problems.append(f"{name} is loaded now; the blacklist takes effect at the next reboot")
    return Finding(
        compliant=not problems,
        found={"missing_lines": missing, "loaded": loaded},
        expected={"lines": _wanted_lines(name), "loaded": False},
        reason="; ".join(problems),
        reboot_required=loaded,
    )


def fix(params, ctx, finding):
    name = params["name"]
    text = ctx.read_text(FILE)
    for line in _wanted_lines(name):
        verb = line.split()[0]

        def same(existing, verb=verb):
            words = existing.split()
            return not textedit.is_comment(existing) and words[:2] == [verb, name]

        text = textedit.set_line(text, same, line, textedit.MANAGED_HEADER)
    ctx.tx.stage_text(FILE, text, mode=0o644)
