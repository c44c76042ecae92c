"""What handlers know about the machine: paths under the root prefix, commands, accounts."""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import accounts, fileops
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandRunner
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import Transaction

CONTAINER_MARKERS = ("/run/.containerenv", "/.dockerenv")


class UnknownAccount(LookupError):
    """An owner or group a control names does not exist on this host (yet)."""

    def __str__(self):
        return self.args[0]


def new_run_id():
    """Sortable and unique enough for two runs started in the same second."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


class Host:
    def __init__(
        self,
        root="/",
        runner=None,
        check_mode=False,
        host_kind="auto",
        exempt_accounts=(),
        environ=None,
        backup_dir="/var/backups/landingzone",
        run_id=None,
        access=None,
        confirm_seconds=0,
    ):
        self.root = root or "/"
        self.runner = runner or CommandRunner()
        self.check_mode = check_mode
        # Who must keep access (access.keepers.Access), and how long a fresh login has to
        # confirm a commit (0: no commit confirmed).
        self.access = access
        self.confirm_seconds = confirm_seconds
        self.exempt_accounts = list(dict.fromkeys([*(exempt_accounts or []), *(access.exempt() if access else [])]))
        self.environ = dict(os.environ if environ is None else environ)
        self.backup_dir = backup_dir
        self.run_id = run_id or new_run_id()
        self.tx = Transaction(self)
        self.host_kind = self.detect_host_kind() if host_kind == "auto" else host_kind

    def sibling(self, run_id):
        """A host of its own for another run on the same machine (a recovery's rollback)."""
        return Host(
            root=self.root,
            runner=self.runner,
            host_kind=self.host_kind,
            environ=self.environ,
            backup_dir=self.backup_dir,
            run_id=run_id,
        )

    # ---- paths -------------------------------------------------------------------------
    def path(self, host_path):
        return fileops.under_root(self.root, host_path)

    def backup_root(self, run_id=None):
        return self.path(os.path.join(self.backup_dir, run_id or self.run_id))

    def host_path_of_backup(self, real_path):
        """The backup's path as the host sees it (without the test root prefix)."""
        if self.root in ("", "/"):
            return real_path
        return "/" + os.path.relpath(real_path, self.root)

    def read_text(self, host_path):
        """The staged view of a file: what it will contain once this run commits."""
        return self.tx.read_text(host_path)

    def live_writable(self, host_path):
        """Whether a live kernel setting can be written (not so on a read-only /proc/sys)."""
        real = self.path(host_path)
        try:
            read_only = bool(os.statvfs(real).f_flag & os.ST_RDONLY)
        except OSError:
            return False
        return not read_only and os.access(real, os.W_OK)

    # ---- commands ------------------------------------------------------------------------
    def run(self, argv, env=None, stdin=None):
        return self.runner.run(argv, env=env, stdin=stdin)

    def detect_host_kind(self):
        if any(os.path.exists(self.path(marker)) for marker in CONTAINER_MARKERS):
            return "container"
        if self.run(["systemd-detect-virt", "--container"]).ok:
            return "container"
        return "server"

    # ---- accounts ------------------------------------------------------------------------
    def _maps(self):
        return accounts.name_maps(self.read_text("/etc/passwd"), self.read_text("/etc/group"))

    def uid_of(self, name):
        if isinstance(name, int) or str(name).isdigit():
            return int(name)
        users, _ = self._maps()
        for uid, user in users.items():
            if user == name:
                return uid
        raise UnknownAccount(f"no user {name!r} in /etc/passwd")

    def gid_of(self, name):
        if isinstance(name, int) or str(name).isdigit():
            return int(name)
        _, groups = self._maps()
        for gid, group in groups.items():
            if group == name:
                return gid
        raise UnknownAccount(f"no group {name!r} in /etc/group")

    def names_of(self, uid, gid):
        users, groups = self._maps()
        return users.get(uid, str(uid)), groups.get(gid, str(gid))

    def uid_min(self):
        value = accounts.login_defs_value(self.read_text("/etc/login.defs"), "UID_MIN", "1000")
        return int(value) if value.isdigit() else 1000
