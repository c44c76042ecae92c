"""Stage every change in memory, then commit once: validate, back up, replace, reload.

Handlers never write: they stage file contents, package requests and follow-up actions
against the control being processed. Check mode stages exactly as apply does and simply
never commits, which is why its prediction matches what apply changes.
"""

from __future__ import annotations

import difflib
import json
import os
import stat
from dataclasses import dataclass, field

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import fileops, locks, validators

MANIFEST = "manifest.json"
# A run's manifest says how far its commit got. One still "committing" belongs to a run
# that died on the way (SIGKILL, power loss): the next run completes it or rolls it back.
COMMITTING, COMMITTED = "committing", "committed"
ACCOUNT_FILES = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow")

# Order in which follow-up actions run after the files are in place.
PHASE_METADATA = 10  # chmod/chown of existing files
PHASE_LIVE = 20  # sysctl -w, augenrules, remount, nft -f
PHASE_RELOAD = 30  # reload/restart services whose configuration changed
PHASE_UNITS = 40  # enable/start/stop/mask units
PHASE_LATE = 50  # work that must see the final system (AIDE database)


@dataclass
class StagedFile:
    path: str
    original: bytes | None
    content: bytes | None  # None: remove the file
    mode: int
    uid: int
    gid: int
    control_ids: list = field(default_factory=list)
    error: str = ""
    committed: bool = False
    original_meta: tuple = ()  # (mode, uid, gid) on disk when first staged; () if absent

    def changes_anything(self):
        return self.content != self.original or (self.content is not None and self.original_meta != self.meta())

    def meta(self):
        return (self.mode, self.uid, self.gid)


@dataclass
class Action:
    """Something to run after the files are committed, once however many controls ask."""

    key: tuple
    description: str
    phase: int
    argv: list | None = None
    call: object = None  # callable(ctx) -> CommandResult, for work that is not a command
    env: dict | None = None
    stdin: str | None = None
    requires: list = field(default_factory=list)  # paths that must have been committed
    reboot_on_failure: bool = False  # failure means "takes effect at next boot", not an error
    # Failure means the kernel of a container refused a live change (EPERM, read-only):
    # the control is not_applicable there, with that reason, not an error.
    container_limit: bool = False
    touches: list = field(default_factory=list)  # files the command rewrites: backed up before it runs
    undo: list | None = None  # argv that undoes its live effect once its files are restored (rollback)
    control_ids: list = field(default_factory=list)
    result: object = None
    skipped: str = ""


def restart_after(tx, service, path):
    """Restart `service` once after `path` was committed (and only if it was): the
    follow-up of every control that edits a service's configuration file."""
    tx.add_action(
        Action(
            key=("restart", service),
            description=f"restart {service}",
            phase=PHASE_RELOAD,
            argv=["systemctl", "restart", service],
            requires=[path],
        )
    )


def _as_text(data):
    return "" if data is None else data.decode("utf-8", "replace")


def unified_diff(path, before, after):
    """A unified diff of one change: a few lines where the whole file would repeat
    itself in every result of every control that edits it."""
    lines = difflib.unified_diff(
        _as_text(before).splitlines(keepends=True),
        _as_text(after).splitlines(keepends=True),
        fromfile=path if before is not None else "/dev/null",
        tofile=path if after is not None else "/dev/null",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def describe_change(staged):
    """Ansible's diff of one staged file, whole before and after (metadata only for secrets)."""
    if fileops.is_secret(staged.path):
        before = fileops.describe_secret(staged.original)
        after = fileops.describe_secret(staged.content, staged.mode)
    else:
        before, after = _as_text(staged.original), _as_text(staged.content)
    return {"before_header": staged.path, "after_header": staged.path, "before": before, "after": after}


class Transaction:
    def __init__(self, ctx):
        self.ctx = ctx
        self.current = None  # id of the control being checked; set by the engine
        self.files = {}
        self.actions = {}
        self.packages = {"present": {}, "absent": {}}  # name -> [control ids]
        self.diffs = {}  # control id -> [{path, unified} or {path, before, after} metadata for secrets]
        self.package_errors = {}  # control id -> message
        self.backups = []
        self.created = []
        self.metadata_changes = []
        self.planned_accounts = {}  # name -> {shell, groups, password}: accounts an action creates
        self.account_lock = locks.AccountLock(ctx)
        self.state = COMMITTING
        self.plan = {}  # path -> sha256 of its new content (None: removed), fixed before the first write
        self.journal_error = ""  # why the rollback record could not be written

    def reset_staging(self):
        """Forget every staged file and follow-up (packages stay: they are installed first)."""
        self.files, self.actions, self.diffs, self.planned_accounts = {}, {}, {}, {}

    # ---- reading the staged view -------------------------------------------------
    def read_bytes(self, path):
        if path in self.files:
            return self.files[path].content
        return fileops.read_bytes(self.ctx.path(path))

    def read_text(self, path):
        data = self.read_bytes(path)
        return None if data is None else data.decode("utf-8", "surrogateescape")

    def exists(self, path):
        if path in self.files:
            return self.files[path].content is not None
        return os.path.lexists(self.ctx.path(path))

    # ---- staging ---------------------------------------------------------------------
    def stage_text(self, path, text, mode=None, owner=None, group=None):
        """Stage the new content of `path` on behalf of the current control."""
        data = None if text is None else text.encode("utf-8", "surrogateescape")
        self.stage_bytes(path, data, mode=mode, owner=owner, group=group)

    def stage_bytes(self, path, data, mode=None, owner=None, group=None):
        """Stage raw content (None removes the file); owner/group are names or ids."""
        before = self.read_bytes(path)
        staged = self.files.get(path)
        if staged is None:
            staged = self._new_staged(path, before)
            self.files[path] = staged
        before_meta = staged.meta()
        staged.content = data
        if mode is not None:
            staged.mode = mode
        if owner is not None:
            staged.uid = self.ctx.uid_of(owner)
        if group is not None:
            staged.gid = self.ctx.gid_of(group)
        if data == before and staged.meta() == before_meta:
            return  # nothing new: the control is already satisfied by what is staged
        if self.current not in staged.control_ids:
            staged.control_ids.append(self.current)
        record = self._diff_record(path, before, data, staged)
        if staged.meta() != before_meta and before is not None:
            record["before_mode"], record["after_mode"] = f"{before_meta[0]:04o}", f"{staged.mode:04o}"
            record["before_owner"] = "{}:{}".format(*self.ctx.names_of(before_meta[1], before_meta[2]))
            record["after_owner"] = "{}:{}".format(*self.ctx.names_of(staged.uid, staged.gid))
        self.diffs.setdefault(self.current, []).append(record)

    def _new_staged(self, path, original):
        real = self.ctx.path(path)
        try:
            info = os.stat(real)
            mode, uid, gid = stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid
        except FileNotFoundError:
            return StagedFile(path=path, original=original, content=original, mode=0o644, uid=0, gid=0)
        return StagedFile(
            path=path, original=original, content=original, mode=mode, uid=uid, gid=gid, original_meta=(mode, uid, gid)
        )

    def _diff_record(self, path, before, after, staged):
        if fileops.is_secret(path):
            return {
                "path": path,
                "before": fileops.describe_secret(before),
                "after": fileops.describe_secret(after, staged.mode),
            }
        return {"path": path, "unified": unified_diff(path, before, after)}

    def add_action(self, action):
        """Register a follow-up; an action with the same key is run once for all its controls."""
        existing = self.actions.get(action.key)
        if existing is None:
            self.actions[action.key] = existing = action
        else:
            existing.requires.extend(p for p in action.requires if p not in existing.requires)
        if self.current not in existing.control_ids:
            existing.control_ids.append(self.current)
        return existing

    def request_package(self, name, state):
        self.packages[state].setdefault(name, []).append(self.current)

    # ---- what a control did --------------------------------------------------------
    def touched(self, control_id):
        return (
            control_id in self.diffs
            or any(control_id in a.control_ids for a in self.actions.values())
            or any(control_id in ids for by_name in self.packages.values() for ids in by_name.values())
        )

    def errors_for(self, control_id):
        problems = [f.error for f in self.files.values() if control_id in f.control_ids and f.error]
        problems += [
            f"{a.description}: {a.result.message()}"
            for a in self.actions.values()
            if control_id in a.control_ids
            and a.result is not None
            and not a.result.ok
            and not a.reboot_on_failure
            and not a.container_limit
        ]
        problems += [
            f"{a.description}: {a.skipped}" for a in self.actions.values() if control_id in a.control_ids and a.skipped
        ]
        if control_id in self.package_errors:
            problems.append(self.package_errors[control_id])
        return problems

    def container_refusals(self, control_id):
        """What a container's kernel refused of this control's live changes."""
        return [
            f"{a.description}: {a.result.message()}"
            for a in self.actions.values()
            if control_id in a.control_ids and a.container_limit and a.result is not None and not a.result.ok
        ]

    def needs_reboot(self, control_id):
        return any(
            control_id in a.control_ids and a.reboot_on_failure and a.result is not None and not a.result.ok
            for a in self.actions.values()
        )

    # ---- commit ----------------------------------------------------------------------
    def commit(self):
        """Apply everything staged (the engine installs packages before it stages files).

        Write-ahead: the manifest names every file about to change before the first one is
        replaced, and each dated copy is on disk before its file is replaced. A crash or a
        full disk at any step leaves each file old or new, and the manifest covers all the
        new ones.
        """
        try:
            self.account_lock.acquire()  # normally held since staging began: the engine took it
            self._commit_files()
        finally:
            self.account_lock.release()  # before the actions: useradd and chpasswd take it themselves
        for action in sorted(self.actions.values(), key=lambda a: a.phase):
            self._run_action(action)
        if self.backups or self.created or self.metadata_changes or self.plan:
            self.state = COMMITTED
            self._write_journal()

    def _commit_files(self):
        changing = [staged for staged in self.files.values() if staged.changes_anything()]
        for staged in changing:
            check = validators.validator_for(staged.path) if staged.content is not None else None
            staged.error = (check(self.ctx, staged.path, staged.content) if check else "") or ""
        ready = [staged for staged in changing if not staged.error]
        if not ready:
            return
        self.plan = {s.path: None if s.content is None else fileops.sha256_of(s.content) for s in ready}
        if not self._write_journal():
            self._refuse(ready)
            return
        for staged in ready:
            if self.journal_error:
                self._refuse([staged])
            else:
                self._commit_file(staged)

    def _refuse(self, staged_files):
        for staged in staged_files:
            staged.error = (
                f"{staged.path}: not replaced, the rollback record could not be written ({self.journal_error})"
            )

    def _commit_file(self, staged):
        try:
            self._back_up(staged)
        except OSError as exc:
            staged.error = f"{staged.path}: not replaced, its dated copy could not be written ({exc.strerror or exc})"
            return
        if not self._write_journal():
            self._refuse([staged])
            return
        try:
            real = self.ctx.path(staged.path)
            if staged.content is None:
                os.unlink(real)
            else:
                fileops.atomic_replace(real, staged.content, staged.mode, staged.uid, staged.gid)
        except OSError as exc:
            staged.error = f"{staged.path}: {exc.strerror or exc}"
            return
        staged.committed = True

    def _back_up(self, staged):
        if staged.original is None:
            self.created.append(staged.path)
            return
        copy = os.path.join(self.ctx.backup_root(), staged.path.lstrip("/"))
        os.makedirs(os.path.dirname(copy), mode=0o700, exist_ok=True)
        real = self.ctx.path(staged.path)
        info = os.stat(real)
        fileops.atomic_replace(copy, staged.original, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
        self.backups.append({"path": staged.path, "backup": self.ctx.host_path_of_backup(copy)})

    def _run_action(self, action):
        missing = [p for p in action.requires if not (p in self.files and self._file_ready(self.files[p]))]
        if missing:
            action.skipped = f"not run because {', '.join(missing)} was not installed"
            return
        try:
            for path in action.touches:
                self._back_up_before_command(path)
        except OSError as exc:  # a full disk: without its rollback record the command must not run
            action.skipped = f"not run: the dated copy of what it rewrites could not be written ({exc.strerror or exc})"
            return
        if action.call is not None:
            action.result = action.call(self.ctx)
        else:
            action.result = self.ctx.run(action.argv, env=action.env, stdin=action.stdin)

    def _back_up_before_command(self, path):
        """A file a command rewrites (pam-auth-update, useradd) gets its dated copy too, so
        that a rollback restores it; once per run, and never over the copy of a staged file."""
        if path in self.created or any(b["path"] == path for b in self.backups):
            return
        original = fileops.read_bytes(self.ctx.path(path))
        if original is None:
            self.created.append(path)
        else:
            self._back_up(StagedFile(path=path, original=original, content=original, mode=0, uid=0, gid=0))
        self.write_manifest()

    def pending(self):
        """Whether a commit would change anything (packages are installed before staging)."""
        return bool(self.actions) or any(f.changes_anything() for f in self.files.values())

    @staticmethod
    def _file_ready(staged):
        return staged.committed or (not staged.changes_anything() and not staged.error)

    def record_metadata_change(self, path, mode, uid, gid):
        """Remember a file's mode/owner before the engine changes them, for rollback."""
        self.metadata_changes.append({"path": path, "mode": mode, "uid": uid, "gid": gid})
        self.write_manifest()

    def services_to_reload(self):
        return [a.argv for a in self.actions.values() if a.phase == PHASE_RELOAD and a.result is not None]

    def manifest(self):
        return {
            "run_id": self.ctx.run_id,
            "state": self.state,
            "plan": dict(self.plan),
            "replaced": [b["path"] for b in self.backups],
            "created": list(self.created),
            "metadata": list(self.metadata_changes),
            "reload": self.services_to_reload(),
            "reload_planned": [a.argv for a in self.actions.values() if a.phase == PHASE_RELOAD and a.argv],
            "undo": [a.undo for a in self.actions.values() if a.undo and a.result is not None and a.result.ok],
        }

    def write_manifest(self):
        """Write the rollback record (atomically: the old one stays whole if this fails)."""
        directory = self.ctx.backup_root()
        os.makedirs(directory, mode=0o700, exist_ok=True)
        data = json.dumps(self.manifest(), indent=2, sort_keys=True).encode()
        fileops.atomic_replace(os.path.join(directory, MANIFEST), data, 0o600, 0, 0)

    def _write_journal(self):
        """write_manifest during the commit: a full disk becomes journal_error, and nothing more is replaced."""
        try:
            self.write_manifest()
        except OSError as exc:
            self.journal_error = self.journal_error or (exc.strerror or str(exc))
            return False
        return True
