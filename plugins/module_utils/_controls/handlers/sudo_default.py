"""sudo_default: one `Defaults` line in /etc/sudoers.d/00-landingzone, checked by visudo.

`option` may be negated with one leading '!' (Defaults !visiblepw); the plain and the
negated form are the same setting, so one replaces the other.

Our line is not the whole story: sudo applies the last global Defaults for a setting across
/etc/sudoers and every drop-in, and a drop-in sorted after ours can undo it. So the check also
judges what sudo itself applies: on the host, the Defaults `sudo -l -U root` lists (sudo's own
reading of all its files); where sudo cannot be asked (a test's root prefix, sudo missing), every
sudoers file as parsed here, and the finding says so. A later line elsewhere is not ours to
remove: the control then fails for a person to act, and the fix leaves it alone.
"""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.sudoers import MAIN, Sudoers
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.view import StagedView
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import (
    OPTION_WORD,
    check_one_line,
    fail,
    param,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding

PARAMS = {
    "option": param("str", required=True),
    "value": param("scalar"),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`option` (one leading `!` negates; `noexec` is refused: it would stop become), `value` (optional)"
DOC_MANAGES = (
    "`/etc/sudoers.d/00-landingzone` `Defaults` lines, validated with `visudo -c`; passes only when sudo "
    "applies it (`sudo -l -U root`, or every sudoers file where sudo cannot be asked: `judged_by` says "
    "which); a later file that undoes it fails the control and is left for a person"
)


def validate(control_id, params):
    # sudoers negates a flag with one leading '!' (Defaults !visiblepw); a negated flag takes no value.
    if not OPTION_WORD.match(params["option"].removeprefix("!")):
        fail(control_id, "params.option", f"not a single option word: {params['option']!r}")
    if params["option"].startswith("!") and params["value"] is not None:
        fail(control_id, "params.value", "a negated option takes no value")
    if params["option"] == "noexec":
        # Every command then runs without exec: Ansible's become (sh -c ... python3) and dpkg's scripts fail.
        fail(control_id, "params.option", "noexec as a default breaks become; put NOEXEC on named command rules")
    check_one_line(control_id, "params.value", params["value"])


FILE = "/etc/sudoers.d/00-landingzone"
_DEFAULTS = re.compile(r"^\s*Defaults\s+(!?)([A-Za-z_]+)\s*(?:=\s*(.*))?$")
# One entry of a Defaults list: `flag`, `!flag`, `name=value` (sudo -l escapes ':' and ',' with '\\').
_ENTRY = re.compile(r"^(!?)([A-Za-z_]+)\s*(?:([+-]?=)\s*(.*))?$")
LISTED = "Matching Defaults entries for root"
ASKED_SUDO = "sudo -l -U root"
READ_FILES = "the sudoers files as read here (sudo could not be asked)"
ONLY_OURS = f"{FILE} alone (sudo could not be asked, and there is no {MAIN})"


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


def _entry(text):
    """(name, canonical setting) of one Defaults entry, or None for what is not a plain setting."""
    match = _ENTRY.match(text.strip())
    if not match or match.group(3) not in (None, "="):
        return None  # list operators (env_keep+=) never set the options this type writes
    negation, name, value = match.group(1), match.group(2), match.group(4)
    if value is not None:
        value = re.sub(r"\\(.)", r"\1", value)
    return name, _canonical(negation, name, value)


def _split_listed(line):
    """sudo -l's entries, split on the commas it did not escape."""
    return [part.replace("\\,", ",") for part in re.split(r"(?<!\\),\s*", line) if part.strip()]


def listed_defaults(output):
    """[(name, setting)] in the order sudo lists them under "Matching Defaults entries", or None."""
    lines = output.splitlines()
    start = next((index for index, line in enumerate(lines) if line.startswith(LISTED)), None)
    if start is None:
        return None
    entries = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        entries += [found for found in map(_entry, _split_listed(line.strip())) if found]
    return entries


def _from_files(ctx):
    """[(name, setting, file)] of the global Defaults of every sudoers file, in sudo's order."""
    entries = []
    for path, kind, binding, items in Sudoers(StagedView(ctx)).defaults:
        if kind or binding:
            continue  # bound to a user, host, runas or command: not the global setting
        entries += [(*found, path) for found in map(_entry, items) if found]
    return entries


def _applied(ctx, name):
    """(the setting sudo applies, how that was read, the file of the last line for it)."""
    in_files = [(setting, path) for found, setting, path in _from_files(ctx) if found == name]
    last_file = in_files[-1][1] if in_files else None
    if ctx.root in ("", "/"):
        asked = ctx.run(["sudo", "-n", "-l", "-U", "root"])
        listed = listed_defaults(asked.stdout) if asked.ok else None
        if listed is not None:
            settings = [setting for found, setting in listed if found == name]
            return (settings[-1] if settings else None), ASKED_SUDO, last_file
    if ctx.read_text(MAIN) is None:
        # No main file to start from (a bare test tree): our drop-in is all there is to read.
        return _current(ctx.read_text(FILE), name), ONLY_OURS, FILE
    return (in_files[-1][0] if in_files else None), READ_FILES, last_file


def check(params, ctx):
    name = _bare(params["option"])
    negation = "!" if params["option"].startswith("!") else ""
    wanted = _canonical(negation, name, params["value"])
    current = _current(ctx.read_text(FILE), name)
    applied, judged_by, last_file = _applied(ctx, name)
    found = {FILE: current, "applied": applied, "judged_by": judged_by}
    if current != wanted:
        return Finding(compliant=False, found=found, expected=wanted, reason=f"{FILE} does not have '{render(params)}'")
    if applied == wanted:
        return Finding(compliant=True, found=found, expected=wanted)
    if last_file is None:
        where = f"sudo never reads it: {MAIN} does not include /etc/sudoers.d"
    elif last_file != FILE:
        where = f"{last_file} sets '{applied}' after it; a person must remove that line"
    else:
        where = f"sudo applies {applied!r}"
    return Finding(
        compliant=False,
        found=found,
        expected=wanted,
        reason=f"{FILE} has '{render(params)}', but {where} (judged by {judged_by})",
        fixable=False,
    )


def fix(params, ctx, finding):
    name = _bare(params["option"])

    def same_setting(line):
        match = _DEFAULTS.match(line)
        return bool(match) and match.group(2) == name

    updated = textedit.set_line(ctx.read_text(FILE), same_setting, render(params), textedit.MANAGED_HEADER)
    ctx.tx.stage_text(FILE, updated, mode=0o440, owner="root", group="root")
