"""Reading and rewriting the colon-separated account databases under the root prefix.

The pwd and grp modules read the running system, not the files under `root`, so the
engine parses the files itself.
"""

from __future__ import annotations

PASSWD_FIELDS = 7
SHADOW_FIELDS = 9
GROUP_FIELDS = 4


def parse(text, fields):
    """Rows as lists of fields; comments and blank lines are dropped."""
    rows = []
    for line in (text or "").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        row = line.split(":")
        row += [""] * (fields - len(row))
        rows.append(row)
    return rows


def render(rows):
    return "".join(":".join(row) + "\n" for row in rows)


def well_formed(text, fields):
    """An account file the engine is about to install must have the right field count."""
    for number, line in enumerate((text or "").splitlines(), start=1):
        if line.strip() and not line.startswith("#") and len(line.split(":")) != fields:
            return f"line {number} has {len(line.split(':'))} fields, expected {fields}"
    return ""


def login_defs_value(text, key, default):
    for line in (text or "").splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == key:
            return words[1]
    return default


def name_maps(passwd_text, group_text):
    """uid->name, gid->name and their reverse, for showing and setting owners."""
    users = {int(row[2]): row[0] for row in parse(passwd_text, PASSWD_FIELDS) if row[2].isdigit()}
    groups = {int(row[2]): row[0] for row in parse(group_text, GROUP_FIELDS) if row[2].isdigit()}
    return users, groups
