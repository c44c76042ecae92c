"""sudo_default: one `Defaults` line in /etc/sudoers.d/00-landingzone, checked by visudo."""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding

FILE = "/etc/sudoers.d/00-landingzone"
_DEFAULTS = re.compile(r"^\s*Defaults\s+([A-Za-z_]+)\s*(?:=\s*(.*))?$")


def _render(params):
    value = params["value"]
    if value is None:
        return f"Defaults {params['option']}"
    if re.search(r"[\s,=\\]", value) and not value.startswith('"'):
        value = '"' + value.replace('"', '\\"') + '"'
    return f"Defaults {params['option']}={value}"


def _settings(text):
    found = {}
    for line in textedit.ensure_text(text).splitlines():
        match = _DEFAULTS.match(line)
        if match:
            value = match.group(2)
            found[match.group(1)] = None if value is None else value.strip().strip('"')
    return found


def check(params, ctx):
    current = _settings(ctx.read_text(FILE))
    wanted = None if params["value"] is None else params["value"].strip('"')
    option = params["option"]
    compliant = option in current and current[option] == wanted
    return Finding(
        compliant=compliant,
        found=_settings_line(option, current),
        expected=_render(params),
        reason="" if compliant else f"{FILE} does not have '{_render(params)}'",
    )


def _settings_line(option, current):
    if option not in current:
        return None
    return f"Defaults {option}" if current[option] is None else f"Defaults {option}={current[option]}"


def fix(params, ctx, finding):
    def same_option(line):
        match = _DEFAULTS.match(line)
        return bool(match) and match.group(1) == params["option"]

    updated = textedit.set_line(ctx.read_text(FILE), same_option, _render(params), textedit.MANAGED_HEADER)
    ctx.tx.stage_text(FILE, updated, mode=0o440, owner="root", group="root")
