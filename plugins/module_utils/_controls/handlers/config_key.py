"""config_key: one `key<separator>value` line in a config file, optionally in an [ini] section."""

from __future__ import annotations

import os
import stat

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import (
    check_one_line,
    param,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import restart_after

PARAMS = {
    "path": param("path", required=True),
    "key": param("str", required=True),
    "value": param("scalar", required=True),
    "separator": param("str", default=" "),
    "section": param("str"),
    "mode": param("mode"),
    "service": param("str"),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = (
    '`path`, `key`, `value`, `separator` (default `" "`), `section` (ini files), `mode`, `service` '
    "(optional, restarted on change)"
)
DOC_MANAGES = "one `key value` line in a config file (login.defs, pwquality.conf, journald.conf, faillock.conf …)"


def validate(control_id, params):
    check_one_line(control_id, "params.value", params["value"])


def _splitter(separator):
    """Parse with the separator's meaningful character, so 'key=value' and 'key = value' both read."""
    core = separator.strip()
    if not core:
        return lambda line: (line.split(None, 1) + [""])[:2]
    return lambda line: [part.strip() for part in (line.split(core, 1) + [""])[:2]]


def _sections(lines):
    """Yield (section name or None, line index, line)."""
    section = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
        yield section, index, line


def _values(text, params):
    split = _splitter(params["separator"])
    found = []
    for section, _, line in _sections(textedit.ensure_text(text).splitlines()):
        if section != params["section"] or textedit.is_comment(line, ("#", ";")) or line.strip().startswith("["):
            continue
        key, value = split(line.strip())
        if key == params["key"]:
            found.append(textedit.normalise(value))
    return found


def check(params, ctx):
    path, expected = params["path"], textedit.normalise(params["value"])
    text = ctx.read_text(path)
    values = _values(text, params)
    found = {"values": values, "exists": text is not None}
    problems = []
    if values != [expected]:
        problems.append(f"{params['key']} is {values or 'not set'} in {path}")
    if params["mode"] is not None and text is not None:
        mode = stat.S_IMODE(os.stat(ctx.path(path)).st_mode) if path not in ctx.tx.files else ctx.tx.files[path].mode
        found["mode"] = f"{mode:04o}"
        if mode != params["mode"]:
            problems.append(f"{path} has mode {mode:04o}")
    expected_record = {"values": [expected]}
    if params["mode"] is not None:
        expected_record["mode"] = f"{params['mode']:04o}"
    return Finding(compliant=not problems, found=found, expected=expected_record, reason="; ".join(problems))


def fix(params, ctx, finding):
    path = params["path"]
    new_line = f"{params['key']}{params['separator']}{params['value']}"
    lines = textedit.ensure_text(ctx.read_text(path)).splitlines()
    split = _splitter(params["separator"])
    out, placed, in_section, section_seen = [], False, params["section"] is None, params["section"] is None
    for section, _, line in _sections(lines):
        is_header = line.strip().startswith("[") and line.strip().endswith("]")
        if is_header and in_section and not placed and params["section"] is not None:
            # The key was absent from its section: add it after the section's last line, before the blank ones.
            insert_at = len(out)
            while insert_at and not out[insert_at - 1].strip():
                insert_at -= 1
            out.insert(insert_at, new_line)
            placed = True
        if is_header:
            in_section = section == params["section"]
            section_seen = section_seen or in_section
        active = not textedit.is_comment(line, ("#", ";")) and not is_header
        if in_section and active and split(line.strip())[0] == params["key"]:
            if not placed:
                out.append(new_line)
                placed = True
            continue
        out.append(line)
    if not placed:
        if not section_seen:
            out.append(f"[{params['section']}]")
        out.append(new_line)
    ctx.tx.stage_text(path, "\n".join(out) + "\n", mode=params["mode"])
    if params["service"]:
        restart_after(ctx.tx, params["service"], path)
