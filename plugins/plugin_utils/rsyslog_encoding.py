"""Values as they may enter rsyslog's configuration (RainerScript): the one place that encodes for it.

Inside a double-quoted RainerScript string a backslash escapes the next character, so a
double quote, a backslash or a dollar sign (which rsyslog refuses unescaped in expressions)
is written with one before it. Control characters have no place
in any value the landing zone writes there (a host name, a port, a path): they are refused.
"""

from __future__ import annotations


def rsyslog_string(value) -> str:
    """``value`` as the inside of a double-quoted RainerScript string (the quotes are the
    template's); ValueError for a control character or a direction override."""
    text = str(value)
    refused = sorted({char for char in text if not char.isprintable()})
    if refused:
        raise ValueError(f"{text[:40]!r} cannot be written into rsyslog's configuration: it holds {''.join(refused)!r}")
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
