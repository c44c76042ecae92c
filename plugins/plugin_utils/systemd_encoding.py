"""Values that systemd unit files and EnvironmentFiles take as they are written.

A unit file has no quoting that holds for every setting: a newline starts a new directive (a
timer's ``Unit=``, a service's ``ExecStartPre=``), a final backslash joins the next line, ``%``
is a specifier, a space separates the entries of ``ReadWritePaths=`` and the arguments of
``ExecStart=``, and quotes or ``$`` mean something in some settings and not in others. So the
settings the roles fill from an inventory take only a word built of characters that mean
nothing to systemd anywhere (and nothing to an EnvironmentFile's parser either), and anything
else is refused.
"""

from __future__ import annotations

import re

# Letters, digits and the punctuation that paths, account names, calendar events, time spans
# and URLs use; none of them is special to systemd's unit or environment parsers.
_WORD = re.compile(r"[A-Za-z0-9_.:/@+,~*=-]+")


def unit_word(value, field: str = "value") -> str:
    """``value`` when it is one word of those characters; ValueError naming ``field`` otherwise.
    For account names, paths (``ReadWritePaths=``, ``ExecStart=``) and environment values."""
    text = str(value)
    if _WORD.fullmatch(text):
        return text
    raise ValueError(f"{field}: {text[:40]!r} is not one word of letters, digits and _.:/@+,~*=-")


def unit_words(value, field: str = "value") -> str:
    """``value`` when it is such words separated by single spaces (a calendar event such as
    ``*-*-* 05:15:00``, a time span such as ``1h 30min``); ValueError naming ``field`` otherwise."""
    text = str(value)
    if all(_WORD.fullmatch(word) for word in text.split(" ")):
        return text
    raise ValueError(f"{field}: {text[:40]!r} is not words of letters, digits and _.:/@+,~*=- separated by spaces")
