# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""The backup manifest: what every backed-up file was at backup time, to verify a restore against.

One JSON document per line. The first line is a header; each further line describes one
path: its type, mode, owner, and for a regular file its size and sha256. The backup agent
writes it just before ``restic backup`` and backs it up in the same snapshot; the restore
verification reads it back from the snapshot and compares the restored files with it.

This file is also installed on every backed-up host (the agent's backup program imports it),
so it uses the standard library only and runs on the Python of Debian 12 and 13.
"""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
import json
import os
import stat

FORMAT = "landingzone-backup-manifest"
VERSION = 1
CHUNK = 1024 * 1024


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def describe(path, root="/") -> dict:
    """The record of one path; ``root`` is stripped from where it is read (a restore's scratch)."""
    real = os.path.join(root, path.lstrip("/")) if root not in ("", "/") else path
    info = os.lstat(real)
    record = {"path": path, "mode": f"{stat.S_IMODE(info.st_mode):04o}", "uid": info.st_uid, "gid": info.st_gid}
    if stat.S_ISREG(info.st_mode):
        record.update(type="file", size=info.st_size, sha256=sha256_of(real))
    elif stat.S_ISDIR(info.st_mode):
        record["type"] = "dir"
    elif stat.S_ISLNK(info.st_mode):
        record.update(type="symlink", target=os.readlink(real))
    else:
        # Sockets, fifos and devices are not backed up as data: restic stores them as nodes.
        record["type"] = "other"
    return record


def is_excluded(path, patterns) -> bool:
    """Whether restic leaves ``path`` out for one of ``patterns``, for the two forms the roles use:
    an absolute path or glob (it and everything under it), or a bare name glob (any component)."""
    components = path.strip("/").split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if "/" in pattern:
            # A pattern that matches a directory leaves out everything under it too.
            prefixes = ("/" + "/".join(components[:depth]) for depth in range(1, len(components) + 1))
            if any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes):
                return True
        elif any(fnmatch.fnmatchcase(component, pattern) for component in components):
            return True
    return False


def walk(top, excluded=()):
    """Every path under ``top`` (itself included), not following symlinks, leaving out ``excluded``."""

    def skip(path):
        return is_excluded(path, excluded)

    if skip(top) or not os.path.lexists(top):
        return
    yield top
    if os.path.isdir(top) and not os.path.islink(top):
        for current, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if not skip(os.path.join(current, d)))
            for name in dirs + sorted(files):
                path = os.path.join(current, name)
                if not skip(path):
                    yield path


def write(manifest_path, roots, excluded=(), now=None):
    """Describe every path under ``roots`` into ``manifest_path`` (atomically); return the count."""
    now = now or datetime.datetime.now(datetime.UTC)
    temporary = f"{manifest_path}.tmp"
    count = 0
    # Vanishing files are normal on a live system: a file deleted between walk and read is left out.
    with open(temporary, "w", encoding="utf-8", errors="surrogateescape") as out:
        header = {"format": FORMAT, "version": VERSION, "created": now.isoformat(), "roots": list(roots)}
        out.write(json.dumps(header) + "\n")
        for root in roots:
            for path in walk(root, [*excluded, manifest_path, temporary]):
                try:
                    out.write(json.dumps(describe(path)) + "\n")
                except FileNotFoundError:
                    continue
                count += 1
    os.chmod(temporary, 0o600)
    os.replace(temporary, manifest_path)
    return count


def read(manifest_path):
    """(header, [records]) of a manifest; raises ValueError when it is not one."""
    with open(manifest_path, encoding="utf-8", errors="surrogateescape") as handle:
        lines = [line for line in handle if line.strip()]
    if not lines:
        raise ValueError(f"{manifest_path}: empty manifest")
    header = json.loads(lines[0])
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise ValueError(f"{manifest_path}: not a {FORMAT} version {VERSION}")
    return header, [json.loads(line) for line in lines[1:]]


def compare(records, root, check_owner=True):
    """Problems of the tree restored under ``root`` against the manifest's ``records``."""
    problems = []
    for expected in records:
        try:
            found = describe(expected["path"], root)
        except FileNotFoundError:
            problems.append({"path": expected["path"], "problem": "missing"})
            continue
        except OSError as exc:
            problems.append({"path": expected["path"], "problem": "unreadable", "detail": str(exc)})
            continue
        fields = ["type", "mode", "size", "sha256", "target"] + (["uid", "gid"] if check_owner else [])
        for field in fields:
            if expected.get(field) != found.get(field):
                problems.append(
                    {
                        "path": expected["path"],
                        "problem": field,
                        "expected": expected.get(field),
                        "found": found.get(field),
                    }
                )
                break
    return problems
