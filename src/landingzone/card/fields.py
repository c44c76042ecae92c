"""How a place in the card is written in messages: ``waivers[0].control``."""

import re

_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def field_path(path) -> str:
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif not _PLAIN_KEY.fullmatch(str(step)):
            # A key the card invented is quoted and escaped: a newline in it must not start a line
            # of its own in the error output, looking like another problem.
            text += f"[{str(step)!r}]"
        else:
            text += f".{step}" if text else str(step)
    return text or "(top level)"


def walk(value, path=()):
    """Every (path, value) pair of nested dicts and lists, parents before children."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*path, index))
