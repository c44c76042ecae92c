"""Python values as PowerShell literals, so no catalog value is ever pasted into a script as code.

Every string goes into single quotes, where PowerShell expands nothing. PowerShell also
takes the typographic quotes (U+2018..U+201B) as single quotes, so those are doubled too:
a title copied from a Word document cannot end a string early.
"""

from __future__ import annotations

SINGLE_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")


# A line break inside quotes would be indented with the block the literal sits in, which changes
# the value; a NUL ends the script for some readers. Neither belongs in a setting's value.
REFUSED = {"\n": "a line break", "\r": "a carriage return", "\x00": "a NUL character"}


def quote(text):
    text = str(text)
    for character, name in REFUSED.items():
        if character in text:
            raise ValueError(f"{text[:40]!r}: a PowerShell string of the landing zone cannot hold {name}")
    for mark in SINGLE_QUOTES:
        text = text.replace(mark, mark + mark)
    return "'" + text + "'"


def literal(value):
    """A PowerShell expression that evaluates to value (bool, int, str, None, list, dict)."""
    if value is None:
        return "$null"
    if isinstance(value, bool):
        return "$true" if value else "$false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, (list, tuple)):
        return "@(" + ", ".join(literal(item) for item in value) + ")"
    if isinstance(value, dict):
        return "@{ " + "; ".join(f"{quote(key)} = {literal(item)}" for key, item in value.items()) + " }"
    raise TypeError(f"no PowerShell literal for {type(value).__name__}")


def indent(block, spaces=4):
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in block.strip("\n").splitlines())
