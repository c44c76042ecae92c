"""File primitives: root-relative paths, metadata, secret detection, atomic replace."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import stat
import tempfile

# Files whose content must never appear in evidence or diffs: only mode, owner, sha256.
SECRET_PATTERNS = (
    "/etc/shadow",
    "/etc/shadow-",
    "/etc/gshadow",
    "/etc/gshadow-",
    "/etc/security/opasswd",
    "/etc/ssh/ssh_host_*_key",
    "/etc/ssl/private/*",
    "*.key",
    "*.pem",
)


def is_secret(path):
    return any(fnmatch.fnmatch(path, pattern) for pattern in SECRET_PATTERNS)


def under_root(root, path):
    """Map an absolute host path to where it lives under `root` (a temp dir in tests)."""
    if not path.startswith("/"):
        raise ValueError(f"expected an absolute path, got {path!r}")
    if root in ("", "/"):
        return path
    return os.path.join(root, path.lstrip("/"))


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def read_bytes(real_path):
    try:
        with open(real_path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def metadata(real_path, names=None):
    """Mode, owner and checksum of a file, as evidence safe for any file."""
    try:
        info = os.stat(real_path)
    except FileNotFoundError:
        return {"exists": False}
    owner, group = names(info.st_uid, info.st_gid) if names else (info.st_uid, info.st_gid)
    record = {"exists": True, "mode": f"{stat.S_IMODE(info.st_mode):04o}", "owner": owner, "group": group}
    if stat.S_ISREG(info.st_mode):
        record["sha256"] = sha256_of(read_bytes(real_path) or b"")
    return record


def describe_secret(data, mode=None, owner=None, group=None):
    """What a diff shows for a secret-bearing file instead of its content."""
    if data is None:
        return "(absent)"
    parts = [f"(content not shown) sha256={sha256_of(data)}"]
    if mode is not None:
        parts.append(f"mode={mode:04o}")
    if owner is not None:
        parts.append(f"owner={owner}:{group}")
    return " ".join(parts)


def atomic_replace(real_path, data, mode, uid, gid):
    """Write next to the target, fix mode and owner, fsync, then rename over it.

    A reader sees either the old or the new file, never half of one, and the new file
    has its final mode before it becomes visible.
    """
    directory = os.path.dirname(real_path)
    os.makedirs(directory, exist_ok=True)
    fd, temp_path = tempfile.mkstemp(prefix=".lz-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_path, mode)
        if os.geteuid() == 0:
            os.chown(temp_path, uid, gid)
        os.replace(temp_path, real_path)
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
