# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""The hash chain of the log collector's sealed files: how a period is sealed, and how the chain is checked.

The collector keeps one directory per sender. The period being written is ``current.log``;
rotation renames it to ``<UTC stamp>.log.pending`` and sealing closes it for good: the
sealer appends one last line, the seal, and renames the file to ``<UTC stamp>.log``::

    {"landingzone_chain": {"sender": ..., "file": ..., "previous_file": ..., "previous_sha256": ..., "sealed": ...}}

so each period's file records the name and SHA-256 of the sealed file before it, and
``chain.head`` names the newest sealed file with its SHA-256. A line removed from, added
to or changed in any sealed file changes its hash, which the next file (or the head)
recorded: the check walks the chain from the head back to the first file and reports where
it breaks. The seal records the hash the head held, never one computed again, so an earlier
change stays visible after later seals.

The sealer on the collector (roles/log_collector/files/landingzone-log-seal) imports this file,
which the role installs beside it; the audit (the log_chain_status module) checks with the
collection's own copy, so a collector cannot change how it is judged. Standard library only:
it runs on the Python of Debian 12 and 13.
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import json
import os
import re
import stat
import struct

CURRENT = "current.log"
HEAD = "chain.head"
PENDING_SUFFIX = ".pending"
SEAL_KEY = "landingzone_chain"
# <UTC stamp>.log, with .N when a sender's period was rotated twice in one second.
SEALED_NAME = re.compile(r"^\d{8}T\d{6}Z(\.\d+)?\.log$")
# The name of a sender is its directory: no separator, no leading dot.
SENDER_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$")
CHUNK = 1024 * 1024

# The inode flags of chattr(1): +a lets a file only grow, +i freezes it (linux/fs.h).
FS_IOC_GETFLAGS = 0x80086601
FS_IOC_SETFLAGS = 0x40086602
APPEND_ONLY = 0x20
IMMUTABLE = 0x10


class ChainError(Exception):
    pass


def sha256_of(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def utc_stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def inode_flags(path):
    """The file's chattr flags, or None where the filesystem does not keep them."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        return struct.unpack("l", fcntl.ioctl(fd, FS_IOC_GETFLAGS, struct.pack("l", 0)))[0]
    except OSError:
        return None
    finally:
        os.close(fd)


def set_inode_flag(path, flag: int, on: bool) -> bool:
    """Set or clear one chattr flag; False where the kernel refuses it (no CAP_LINUX_IMMUTABLE, as in a
    container, or a filesystem without the flags)."""
    flags = inode_flags(path)
    if flags is None:
        return False
    wanted = flags | flag if on else flags & ~flag
    if wanted == flags:
        return True
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    try:
        fcntl.ioctl(fd, FS_IOC_SETFLAGS, struct.pack("l", wanted))
    except OSError:
        return False
    finally:
        os.close(fd)
    return True


def read_head(directory):
    """The head as {"file", "sha256"}, or None before the first seal."""
    path = os.path.join(directory, HEAD)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            head = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ChainError(f"{HEAD}: unreadable ({exc})") from exc
    if not isinstance(head, dict) or not isinstance(head.get("file"), str) or not isinstance(head.get("sha256"), str):
        raise ChainError(f"{HEAD}: not a head record")
    return {"file": head["file"], "sha256": head["sha256"]}


def _write_head(directory, head: dict) -> None:
    temporary = os.path.join(directory, HEAD + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(head, handle, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o444)
    os.replace(temporary, os.path.join(directory, HEAD))


def last_line(path) -> bytes:
    """The file's last line, without its newline (at most the last 64 KiB are read)."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - 65536))
        tail = handle.read()
    return tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]


def read_seal(path):
    """The seal on the file's last line, or None."""
    try:
        record = json.loads(last_line(path))
    except (OSError, ValueError):
        return None
    seal = record.get(SEAL_KEY) if isinstance(record, dict) else None
    return seal if isinstance(seal, dict) else None


def pending_files(directory) -> list[str]:
    """Rotated periods still to seal, oldest first."""
    return sorted(name for name in os.listdir(directory) if name.endswith(".log" + PENDING_SUFFIX))


def sealed_files(directory) -> list[str]:
    return sorted(name for name in os.listdir(directory) if SEALED_NAME.match(name))


def rotation_name(directory, moment: datetime.datetime) -> str:
    """A name for the period rotated now, unused by any sealed or pending file."""
    stamp = utc_stamp(moment)
    taken = set(os.listdir(directory))
    name, counter = f"{stamp}.log", 1
    while name in taken or name + PENDING_SUFFIX in taken:
        name, counter = f"{stamp}.{counter}.log", counter + 1
    return name


def seal(directory, pending: str, moment: datetime.datetime) -> dict:
    """Seal one rotated period: its seal line, its final name, and the head moved to it.

    Safe to repeat after a crash: a pending file that already ends with its seal is not
    sealed twice. Returns the new head.
    """
    sender = os.path.basename(os.path.normpath(directory))
    path = os.path.join(directory, pending)
    final = pending[: -len(PENDING_SUFFIX)]
    head = read_head(directory)
    existing = read_seal(path)
    if not (existing and existing.get("file") == final):
        record = {
            SEAL_KEY: {
                "sender": sender,
                "file": final,
                "previous_file": head["file"] if head else None,
                "previous_sha256": head["sha256"] if head else None,
                "sealed": moment.astimezone(datetime.UTC).isoformat(timespec="seconds"),
            }
        }
        with open(path, "ab") as handle:
            # A line cut short (a crash while writing) must not swallow the seal.
            if handle.tell() and not _ends_with_newline(path):
                handle.write(b"\n")
            handle.write(json.dumps(record, sort_keys=True).encode() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
    os.chmod(path, 0o440)
    os.rename(path, os.path.join(directory, final))
    new_head = {"file": final, "sha256": sha256_of(os.path.join(directory, final))}
    _write_head(directory, new_head)
    return new_head


def _ends_with_newline(path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def recover_head(directory) -> None:
    """After a crash between a seal's rename and its head: move the head to the sealed file that
    follows it (its seal names the head's file and hash)."""
    head = read_head(directory)
    for name in sealed_files(directory):
        record = read_seal(os.path.join(directory, name))
        if not record:
            continue
        follows = record.get("previous_file") == (head["file"] if head else None) and record.get("previous_sha256") == (
            head["sha256"] if head else None
        )
        if follows and (not head or name != head["file"]):
            head = {"file": name, "sha256": sha256_of(os.path.join(directory, name))}
            _write_head(directory, head)
            return recover_head(directory)
    return None


def check_chain(directory) -> dict:
    """Walk one sender's chain from the head back to its first file; say where it breaks.

    Returns {"sender", "sealed_files", "first", "head", "head_sha256", "pending", "chain_ok",
    "problems", "current_append_only"}. Never changes anything.
    """
    sender = os.path.basename(os.path.normpath(directory))
    problems: list[str] = []
    on_chain: list[str] = []
    try:
        head = read_head(directory)
    except ChainError as exc:
        head, problems = None, [str(exc)]
    sealed = sealed_files(directory)
    if head is None and sealed and not problems:
        problems.append(f"{HEAD} is missing while {len(sealed)} sealed files exist")
    name, expected, named_by = (head["file"], head["sha256"], HEAD) if head else (None, None, None)
    while name is not None:
        if not isinstance(name, str) or not isinstance(expected, str):
            problems.append(f"{named_by}: its seal does not name a sealed file and its SHA-256")
            break
        path = os.path.join(directory, name)
        if name in on_chain:
            problems.append(f"{name}: the chain loops back to it")
            break
        if not SEALED_NAME.match(name) or not os.path.isfile(path):
            problems.append(f"{name} is missing: {named_by} names it as sealed")
            break
        on_chain.append(name)
        if sha256_of(path) != expected:
            problems.append(f"{name} was changed after it was sealed: its SHA-256 is not {named_by}'s record of it")
        record = read_seal(path)
        if record is None or record.get("file") != name or record.get("sender") != sender:
            problems.append(f"{name} does not end with its own seal")
            break
        name, expected, named_by = record.get("previous_file"), record.get("previous_sha256"), name
    for name in sealed:
        if name not in on_chain:
            problems.append(f"{name} is not on the chain from {HEAD}")
        info = os.stat(os.path.join(directory, name))
        if info.st_uid != 0 or stat.S_IMODE(info.st_mode) & 0o222:
            mode = stat.S_IMODE(info.st_mode)
            problems.append(f"{name} is writable after its seal (owner uid {info.st_uid}, mode {mode:04o})")
    flags = inode_flags(os.path.join(directory, CURRENT))
    return {
        "sender": sender,
        "sealed_files": len(sealed),
        "first": on_chain[-1] if on_chain else None,
        "head": head["file"] if head else None,
        "head_sha256": head["sha256"] if head else None,
        "pending": len(pending_files(directory)),
        "chain_ok": not problems,
        "problems": problems,
        # Whether the kernel holds the period being written to append-only (chattr +a); a
        # container cannot set the flag, and there ownership alone protects the sealed files.
        "current_append_only": bool(flags is not None and flags & APPEND_ONLY),
    }
