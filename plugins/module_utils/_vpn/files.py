"""The files the gateway module manages: read, compare, write atomically, say what changed."""

from __future__ import annotations

import json
import os

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.fileops import (
    atomic_replace,
    read_bytes,
)


def read_text(path):
    data = read_bytes(path)
    return None if data is None else data.decode("utf-8", "replace")


def read_json(path, default):
    text = read_text(path)
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def as_json(data):
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


class FileSet:
    """Wanted content per path; ``sync`` writes what differs (unless checking) and records it."""

    def __init__(self, check_mode):
        self.check_mode = check_mode
        self.changed = []
        self.diffs = []

    def ensure(self, path, content, mode=0o644, shown=None):
        """``shown`` is what a diff may show of ``content`` (for files holding secrets)."""
        current = read_text(path)
        if current == content and (current is None or (os.stat(path).st_mode & 0o7777) == mode):
            return False
        self.changed.append(path)
        show = shown if shown is not None else (lambda text: text)
        self.diffs.append(
            {
                "before_header": path,
                "after_header": path,
                "before": "" if current is None else show(current),
                "after": show(content),
            }
        )
        if not self.check_mode:
            atomic_replace(path, content.encode(), mode, 0, 0)
        return True

    def remove(self, path):
        if not os.path.exists(path):
            return False
        self.changed.append(path)
        self.diffs.append({"before_header": path, "after_header": path, "before": "(present)", "after": "(absent)"})
        if not self.check_mode:
            os.unlink(path)
        return True
