"""Values as they may enter an AppArmor profile: the one place that encodes for it.

A profile's path rule is a pattern, not a name: ``*``, ``?``, ``[...]``, ``{a,b}`` and ``^``
widen it, ``@{...}`` expands a variable, a comma ends the rule, ``#`` starts a comment and a
space or a newline starts the next word. A path that held any of them would grant more than
the directory it names, or a rule of the attacker's choosing. The landing zone's paths are
plain, so anything beyond letters, digits and ``_.+-`` between slashes is refused, and so is
a ``..`` segment (the kernel matches resolved paths, so such a rule would match nothing and
hide the mistake).
"""

from __future__ import annotations

import re

# An absolute path of plain segments; none of these characters means anything to the parser.
_PATH = re.compile(r"(/[A-Za-z0-9_.+-]+)+/?")


def apparmor_path(value, field: str = "value") -> str:
    """``value`` without a trailing slash when it is an absolute path of plain segments, for a
    profile's file rules; ValueError naming ``field`` otherwise."""
    text = str(value)
    if not _PATH.fullmatch(text) or any(part in (".", "..") for part in text.split("/")):
        raise ValueError(
            f"{field}: {text[:40]!r} is not an absolute path of letters, digits and _.+- between slashes "
            "(an AppArmor rule would read anything else as a pattern)"
        )
    return text.rstrip("/")
