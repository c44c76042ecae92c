"""Secrets never reach evidence: every known secret value, and every value kept under a
key whose name says it is secret, becomes ``********`` before anything is written."""

import re

REDACTED = "********"
SECRET_KEY = re.compile(r"pass(word|wd|phrase)|secret|private[_-]?key|token|api[_-]?key|credential", re.IGNORECASE)
# A line of a multi-line secret (a PEM key in a diff) is redacted on its own as well, because a
# diff shows the secret split over lines; lines this short would hit innocent text.
MIN_LINE_LENGTH = 8


def _needles(secrets) -> list[str]:
    needles = set()
    for secret in secrets or []:
        if not isinstance(secret, str) or not secret:
            continue
        needles.add(secret)
        needles.update(line.strip() for line in secret.splitlines() if len(line.strip()) >= MIN_LINE_LENGTH)
    # Longest first, so a secret that contains another is replaced whole.
    return sorted(needles, key=len, reverse=True)


def _scrub(text: str, needles: list[str]) -> str:
    for needle in needles:
        if needle in text:
            text = text.replace(needle, REDACTED)
    return text


def redact(obj, secrets: list[str]):
    """A copy of ``obj`` (nested dicts, lists, tuples, strings) with the secrets replaced."""
    needles = _needles(secrets)

    def visit(value):
        if isinstance(value, dict):
            clean = {}
            for key, item in value.items():
                clean_key = _scrub(key, needles) if isinstance(key, str) else key
                # A key with a slash is a path (a catalog file's hash), not a field name.
                secret_key = isinstance(key, str) and "/" not in key and SECRET_KEY.search(key)
                clean[clean_key] = REDACTED if secret_key and item not in (None, "", False) else visit(item)
            return clean
        if isinstance(value, list | tuple):
            return type(value)(visit(item) for item in value)
        if isinstance(value, str):
            return _scrub(value, needles)
        return value

    return visit(obj)
