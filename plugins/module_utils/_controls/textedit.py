"""Line-oriented edits shared by the handlers that own `key value` style files."""

from __future__ import annotations


def is_comment(line, markers=("#",)):
    stripped = line.strip()
    return not stripped or stripped.startswith(markers)


def normalise(value):
    """Compare values the way the daemons read them: runs of whitespace are one space."""
    return " ".join(str(value).split())


def ensure_text(text):
    return text if text is not None else ""


def set_line(text, matches, new_line, header=""):
    """Replace the first line for which matches(line) is true, drop later ones, or append.

    Later duplicates are removed because most of these files are read top to bottom
    with either the first or the last occurrence winning; one line leaves no doubt.
    """
    lines = ensure_text(text).splitlines()
    out, placed = [], False
    for line in lines:
        if matches(line):
            if not placed:
                out.append(new_line)
                placed = True
            continue
        out.append(line)
    if not placed:
        if not out and header:
            out.append(header)
        out.append(new_line)
    return "\n".join(out) + "\n"


def has_line(text, wanted):
    wanted = normalise(wanted)
    return any(normalise(line) == wanted for line in ensure_text(text).splitlines())


MANAGED_HEADER = "# Managed by cyberveilig.landingzone: local edits are replaced on the next run."
