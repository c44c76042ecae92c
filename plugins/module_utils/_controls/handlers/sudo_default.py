"""sudo_default: one `Defaults` line in /etc/sudoers.d/00-landingzone, checked by visudo.

`option` may be negated with one leading '!' (Defaults !visiblepw); the plain and the
negated form are the same setting, so one replaces the other.
"""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding

FILE = "/etc/sudoers.d/00-landingzone"
_DEFAULTS = re.compile(r"^\s*Defaults\s+(!?)([A-Za-z_]+)\s*(?:=\s*(.*))?$")


def _bare(option):
    return option.removeprefix("!")


def render(params):
    value = params["value"]
    if value is None:
        return f"Defaults {params['option']}"
    if re.search(r"[\s,=\\]", value) and not value.startswith('"'):
        value = '"' + value.replace('"', '\\"') + '"'
    return f"Defaults {params['option']}={value}"


def _canonical(negation, name, value):
    """One spelling per setting, so quoting and spacing differences do not count."""
    line = f"Defaults {negation}{name}"
    return line if value is None else f"{line}={value.strip().strip(chr(34))}"


def _current(text, name):
    """The last line for this setting in our file, canonicalised (sudo applies the last one)."""
    current = None
    for line in textedit.ensure_text(text).splitlines():
        match = _DEFAULTS.match(line)
        if match and match.group(2) == name:
            current = _canonical(*match.groups())
    return current


def check(params, ctx):
    name = _bare(params["option"])
    negation = "!" if params["option"].startswith("!") else ""
    wanted = _canonical(negation, name, params["value"])
    current = _current(ctx.read_text(FILE), name)
    return Finding(
        compliant=current == wanted,
        found=current,
        expected=wanted,
        reason="" if current == wanted else f"{FILE} does not have '{render(params)}'",
    )


def fix(params, ctx, finding):
    name = _bare(params["option"])

    def same_setting(line):
        match = _DEFAULTS.match(line)
        return bool(match) and match.group(2) == name

    updated = textedit.set_line(ctx.read_text(FILE), same_setting, render(params), textedit.MANAGED_HEADER)
    ctx.tx.stage_text(FILE, updated, mode=0o440, owner="root", group="root")
