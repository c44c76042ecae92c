"""Two views of the host's files: as they are now, and as they will be once the run commits."""

from __future__ import annotations

import fnmatch
import glob
import os

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import fileops


class StagedView:
    """What the files will hold after the commit: staged content over the disk's."""

    name = "staged"

    def __init__(self, ctx):
        self.ctx = ctx

    def read_text(self, path):
        return self.ctx.read_text(path)

    def exists(self, path):
        return self.ctx.tx.exists(path)

    def changed(self, path):
        staged = self.ctx.tx.files.get(path)
        return staged is not None and staged.changes_anything()

    def glob(self, pattern):
        """Host paths matching `pattern`: those on disk and those the run creates, minus those it removes."""
        found = set(_disk_glob(self.ctx, pattern))
        for path, staged in self.ctx.tx.files.items():
            if _matches(path, pattern):
                if staged.content is None:
                    found.discard(path)
                else:
                    found.add(path)
        return sorted(found)


class LiveView:
    """The files as they are on disk now."""

    name = "live"

    def __init__(self, ctx):
        self.ctx = ctx

    def read_text(self, path):
        data = fileops.read_bytes(self.ctx.path(path))
        return None if data is None else data.decode("utf-8", "surrogateescape")

    def exists(self, path):
        return os.path.lexists(self.ctx.path(path))

    def changed(self, path):
        return False

    def glob(self, pattern):
        return sorted(_disk_glob(self.ctx, pattern))


def _disk_glob(ctx, pattern):
    for real in glob.glob(ctx.path(pattern)):
        yield real if ctx.root in ("", "/") else "/" + os.path.relpath(real, ctx.root)


def _matches(path, pattern):
    return os.path.dirname(path) == os.path.dirname(pattern) and fnmatch.fnmatch(
        os.path.basename(path), os.path.basename(pattern)
    )
