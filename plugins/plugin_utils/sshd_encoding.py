"""Values sshd_config takes as they are written.

sshd reads ``AllowGroups`` as words separated by spaces, with double quotes grouping words,
``#`` starting a comment, and each word a pattern: ``*`` and ``?`` are wildcards and a leading
``!`` negates. A group value holding a space would become two groups, a ``*`` would let in every
group, and a newline would start a directive. So a group name from the inventory is taken only
in the shape Debian's own tools give a group name, and anything else is refused.
"""

from __future__ import annotations

import re

# adduser's default NAME_REGEX, which also keeps to 32 characters as groupadd does.
_GROUP = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


def sshd_group(value, field: str = "value") -> str:
    """``value`` when it is a plain group name (lower-case letters, digits, ``_`` and ``-``, not
    starting with a digit or ``-``, at most 32); ValueError naming ``field`` otherwise."""
    text = value if isinstance(value, str) else repr(value)
    if _GROUP.fullmatch(text):
        return text
    raise ValueError(f"{field}: {text[:40]!r} is not a group name (a-z, 0-9, _ and -, starting with a-z or _)")
