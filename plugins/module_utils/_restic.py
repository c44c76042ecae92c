# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""Running restic for the collection's modules: one door, secrets only in the environment.

Every restic call goes through :class:`Restic`. The repository location (which may carry
REST credentials), its password and any S3 keys travel in the child's environment, never on
its command line (where ``ps`` would show them) and never in a result. Errors are sorted
into a few kinds an operator can act on (wrong password, server unreachable, disk full …),
because restic's own exit codes differ between the 0.14 of Debian 12 and later releases.
"""

from __future__ import annotations

import datetime
import json
import os
import pwd
import re
import socket
import subprocess
import tempfile
from urllib.parse import urlsplit

# Options that change where restic looks, not what it does: shared by every module.
CONNECTION_ARGUMENT_SPEC = {
    "repository": {"type": "str", "required": True, "no_log": True},
    "password": {"type": "str", "required": True, "no_log": True},
    "cacert": {"type": "path"},
    "environment": {"type": "dict", "default": {}, "no_log": True},
    "cache_dir": {"type": "path"},
    "run_as": {"type": "str"},
    "timeout": {"type": "int", "default": 3600},
}

# stderr fragments, lower-cased, for each kind of failure. Order matters: the first match wins.
ERROR_KINDS = (
    ("wrong_password", ("wrong password", "no key found")),
    (
        "disk_full",
        ("no space left on device", "remaining disk space", "disk quota exceeded", "(507)", "insufficient storage"),
    ),
    # An append-only server that failed to store a file (a full disk, typically) answers 500, and
    # then 403 to the retry, since the half-written file may not be overwritten: the 500 is the cause.
    ("server_error", ("(500)", "500 internal server error")),
    ("unauthorized", ("401 unauthorized", "(401)", "403 forbidden", "(403)", "access denied", "invalidaccesskeyid")),
    ("locked", ("repository is already locked", "unable to create lock")),
    ("tls", ("x509: ", "tls: ", "certificate signed by unknown authority")),
    (
        "unreachable",
        ("connection refused", "no such host", "i/o timeout", "network is unreachable", "no route to host"),
    ),
    ("absent", ("does not exist", "no such file or directory", "404 not found", "(404)", "nosuchbucket")),
)
# restic >= 0.17 says it with exit codes too.
EXIT_CODE_KINDS = {10: "absent", 11: "locked", 12: "wrong_password"}
CONNECT_TIMEOUT = 10
URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z0-9+]+:(?:[a-z0-9+]+:)?//)[^/@\s]+@", re.IGNORECASE)


def redact_location(location: str) -> str:
    """The repository location without the user and password a REST URL may carry."""
    return URL_CREDENTIALS.sub(r"\g<scheme>", location or "")


class ResticError(Exception):
    """A restic call that failed, with the kind of failure and restic's last words (secrets removed)."""

    def __init__(self, kind: str, message: str, rc: int):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.rc = rc

    def as_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message, "rc": self.rc}


def classify(rc: int, stderr: str) -> str:
    # The words first: restic 0.18 also exits 10 ("no repository") when the server is simply down.
    text = stderr.lower()
    for kind, fragments in ERROR_KINDS:
        if any(fragment in text for fragment in fragments):
            return kind
    return EXIT_CODE_KINDS.get(rc, "error")


def summarise_stderr(stderr: str, secrets) -> str:
    """restic's Fatal line (or the last lines) without stack traces and without secrets."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith("Fatal:")]
    # Go stack frames and retry chatter say nothing an operator can use.
    useful = fatal or [line for line in lines if not line.startswith(("github.com/", "golang.org/", "runtime."))]
    text = " ".join(useful[-3:]) if useful else ""
    text = redact_location(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text[:1000]


class Restic:
    """restic against one repository. ``environment`` adds variables such as S3 keys."""

    PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    def __init__(
        self,
        repository,
        password,
        cacert=None,
        environment=None,
        cache_dir=None,
        run_as=None,
        timeout=3600,
        binary="restic",
    ):
        self.repository = repository
        self.password = password
        self.cacert = cacert
        self.environment = {str(k): str(v) for k, v in (environment or {}).items()}
        self.cache_dir = cache_dir
        self.run_as = run_as
        self.timeout = timeout
        self.binary = binary
        self._reached = False

    @classmethod
    def from_params(cls, params) -> Restic:
        return cls(
            params["repository"],
            params["password"],
            cacert=params.get("cacert"),
            environment=params.get("environment"),
            cache_dir=params.get("cache_dir"),
            run_as=params.get("run_as"),
            timeout=params.get("timeout") or 3600,
        )

    @property
    def location(self) -> str:
        return redact_location(self.repository)

    def secrets(self):
        return [self.password, *self.environment.values(), *_url_secrets(self.repository)]

    def _argv(self, args):
        argv = [self.binary]
        if self.cacert:
            argv += ["--cacert", self.cacert]
        if self.cache_dir:
            argv += ["--cache-dir", self.cache_dir]
        else:
            argv += ["--no-cache"]
        return argv + list(args)

    def _env(self, extra=None):
        env = {
            "PATH": self.PATH,
            "LC_ALL": "C",
            "HOME": os.environ.get("HOME", "/root"),
            "RESTIC_REPOSITORY": self.repository,
            "RESTIC_PASSWORD": self.password,
            "RESTIC_PROGRESS_FPS": "0.0166",
        }
        if self.run_as:
            env["HOME"] = pwd.getpwnam(self.run_as).pw_dir
        env.update(self.environment)
        env.update(extra or {})
        return env

    def _account(self) -> dict:
        """subprocess arguments that run restic as ``run_as``, with that account's own groups (the
        backup server's keeper reaches the repositories through one)."""
        if not self.run_as:
            return {}
        account = pwd.getpwnam(self.run_as)
        groups = os.getgrouplist(self.run_as, account.pw_gid)
        return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": groups}

    def reach(self):
        """Fail in seconds when a REST or S3 server does not answer: restic itself retries for minutes."""
        if self._reached:
            return
        match = re.match(r"^(?:rest|s3):(?P<url>https?://.*)$", self.repository or "")
        if match:
            location = urlsplit(match.group("url"))
            port = location.port or (443 if location.scheme == "https" else 80)
            try:
                socket.create_connection((location.hostname, port), timeout=CONNECT_TIMEOUT).close()
            except OSError as exc:
                reason = exc.strerror or str(exc) or type(exc).__name__
                raise ResticError("unreachable", f"{location.hostname}:{port} cannot be reached: {reason}", 0) from None
        self._reached = True

    def run(self, *args, extra_env=None, check=True, cwd=None):
        """(rc, stdout, stderr) of ``restic ARGS``; raises ResticError when it fails and ``check``."""
        self.reach()
        kwargs = self._account()
        try:
            done = subprocess.run(
                self._argv(args),
                env=self._env(extra_env),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
                cwd=cwd,
                **kwargs,
            )
        except FileNotFoundError:
            raise ResticError("missing", f"{self.binary}: command not found; install restic", 127) from None
        except subprocess.TimeoutExpired:
            raise ResticError("timeout", f"restic {args[0]} did not finish within {self.timeout}s", 124) from None
        if check and done.returncode != 0:
            raise ResticError(
                classify(done.returncode, done.stderr),
                summarise_stderr(done.stderr, self.secrets()) or f"restic {args[0]} exited {done.returncode}",
                done.returncode,
            )
        return done.returncode, done.stdout, done.stderr

    def json(self, *args, **kwargs):
        _, stdout, _ = self.run(*args, "--json", **kwargs)
        text = stdout.strip()
        # Some commands print one JSON document per line (messages), some one document.
        try:
            return json.loads(text) if text else None
        except ValueError:
            return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]

    # ---- what the modules ask ---------------------------------------------------------------
    def exists(self) -> bool:
        """Whether the repository is initialised; a wrong password or a dead server raise."""
        try:
            self.run("cat", "config")
        except ResticError as exc:
            if exc.kind == "absent":
                return False
            raise
        return True

    def init(self, from_repository=None, from_password=None):
        extra = {}
        args = ["init"]
        if from_repository:
            # Same chunker parameters as the source, so `restic copy` deduplicates.
            args += ["--from-repo", from_repository, "--copy-chunker-params"]
            extra = {"RESTIC_FROM_PASSWORD": from_password or self.password}
        self.run(*args, extra_env=extra)

    def check(self, read_data_subset=None):
        args = ["check"]
        if read_data_subset:
            args.append(f"--read-data-subset={read_data_subset}")
        _, stdout, _ = self.run(*args)
        return stdout

    def snapshots(self, host=None, paths=None, tags=None):
        args = ["snapshots"]
        if host:
            args += ["--host", host]
        for path in paths or []:
            args += ["--path", path]
        for tag in tags or []:
            args += ["--tag", tag]
        found = self.json(*args) or []
        return sorted(found, key=lambda snapshot: snapshot["time"])

    def measure(self, snapshot_ids, batch=50):
        """({id: {"files", "size_bytes"}}, complete) counted from each snapshot's own tree.

        One ``restic find --json '*'`` per batch lists every node of the snapshots (one restic
        start, not one per snapshot: each start derives the key for seconds). Its output is one
        JSON line as long as all the nodes, so it is read as a stream. ``complete`` is false when
        restic failed: snapshots missing from the answer were then not measured. A snapshot
        whose tree holds no node at all is not in restic's answer either: 0 files, 0 bytes.
        """
        measured, complete = {}, True
        ids = list(snapshot_ids)
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            args = ["find", "--json", "--no-lock"]
            for snapshot_id in chunk:
                args += ["--snapshot", snapshot_id]
            rc, counted = self._stream(FindOutput.counts, *args, "*")
            complete = complete and rc == 0
            for snapshot_id in chunk:
                if snapshot_id in counted:
                    measured[snapshot_id] = counted[snapshot_id]
                elif rc == 0:
                    measured[snapshot_id] = {"files": 0, "size_bytes": 0}
        return measured, complete

    def _stream(self, reader, *args):
        """(rc, reader(stdout)) of ``restic ARGS``, stdout read as it comes; stderr kept short."""
        self.reach()
        kwargs = self._account()
        with tempfile.TemporaryFile(mode="w+") as errors:
            try:
                process = subprocess.Popen(
                    self._argv(args),
                    env=self._env(),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    text=True,
                    **kwargs,
                )
            except FileNotFoundError:
                raise ResticError("missing", f"{self.binary}: command not found; install restic", 127) from None
            unreadable = False
            try:
                result = reader(process.stdout)
            except ValueError:
                # Output restic did not mean (cut short, say): nothing of it counts.
                result, unreadable = {}, True
            finally:
                process.stdout.close()
                try:
                    rc = process.wait(timeout=self.timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                    raise ResticError(
                        "timeout", f"restic {args[0]} did not finish within {self.timeout}s", 124
                    ) from None
        return (rc or 1) if unreadable else rc, result

    def restore_size(self, snapshot_id):
        stats = self.json("stats", snapshot_id, "--mode", "restore-size") or {}
        return {"size_bytes": stats.get("total_size"), "file_count": stats.get("total_file_count")}


def parse_time(text: str) -> datetime.datetime:
    """A restic timestamp (RFC 3339 with up to nanoseconds) as an aware datetime."""
    match = re.match(r"^(?P<base>[^.Z+]+?)(?:\.(?P<fraction>\d+))?(?P<zone>Z|[+-]\d\d:\d\d)?$", text.strip())
    if not match:
        raise ValueError(f"not a restic timestamp: {text!r}")
    fraction = (match.group("fraction") or "0")[:6].ljust(6, "0")
    zone = match.group("zone") or "Z"
    zone = "+00:00" if zone == "Z" else zone
    return datetime.datetime.fromisoformat(f"{match.group('base')}.{fraction}{zone}")


def _url_secrets(location):
    match = re.match(r"[a-z0-9+]+:(?:[a-z0-9+]+:)?//(?P<userinfo>[^/@\s]+)@", location or "", re.IGNORECASE)
    if not match:
        return []
    userinfo = match.group("userinfo")
    return [userinfo.split(":", 1)[1]] if ":" in userinfo else []


class FindOutput:
    """A streaming reader of ``restic find --json``: ``[{"matches": [node, ...], "hits": n,
    "snapshot": id}, ...]`` on one line, as long as every node of every snapshot. Each node is
    decoded alone, so memory stays that of one node, and file names (any text a client chose)
    are read by the JSON decoder, never by a pattern."""

    CHUNK = 1 << 16

    def __init__(self, stream):
        self.stream = stream
        self.buffer = ""
        self.position = 0
        self.ended = False
        self.decoder = json.JSONDecoder()

    def _more(self) -> bool:
        if self.ended:
            return False
        chunk = self.stream.read(self.CHUNK)
        if not chunk:
            self.ended = True
            return False
        self.buffer = self.buffer[self.position :] + chunk
        self.position = 0
        return True

    def peek(self) -> str:
        while True:
            while self.position < len(self.buffer) and self.buffer[self.position].isspace():
                self.position += 1
            if self.position < len(self.buffer) or not self._more():
                return self.buffer[self.position : self.position + 1]

    def expect(self, character: str) -> None:
        if self.peek() != character:
            raise ValueError(f"restic find --json: expected {character!r} at {self.peek()!r}")
        self.position += 1

    def value(self):
        """The next JSON value whole; a value that ends at the buffer's end may go on (a number)."""
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.position)
            except ValueError:
                if self._more():
                    continue
                raise
            if end < len(self.buffer) or not self._more():
                self.position = end
                return value

    def separator(self, closing: str) -> bool:
        """Consume a comma (more follows) or ``closing`` (the end)."""
        character = self.peek()
        self.position += 1
        if character == ",":
            return True
        if character == closing:
            return False
        raise ValueError(f"restic find --json: unexpected {character!r}")

    @classmethod
    def counts(cls, stream) -> dict:
        """{snapshot id: {"files": regular files, "size_bytes": their bytes}}."""
        reader = cls(stream)
        found = {}
        if not reader.peek():
            return found
        reader.expect("[")
        if reader.peek() == "]":
            return found
        more = True
        while more:
            reader.expect("{")
            files = size = 0
            snapshot_id = None
            fields = reader.peek() != "}"
            if not fields:
                reader.position += 1
            while fields:
                key = reader.value()
                reader.expect(":")
                if key == "matches":
                    reader.expect("[")
                    nodes = reader.peek() != "]"
                    if not nodes:
                        reader.position += 1
                    while nodes:
                        node = reader.value()
                        if isinstance(node, dict) and node.get("type") == "file":
                            files += 1
                            size += int(node.get("size") or 0)
                        nodes = reader.separator("]")
                else:
                    value = reader.value()
                    if key == "snapshot":
                        snapshot_id = value
                fields = reader.separator("}")
            if snapshot_id:
                found[snapshot_id] = {"files": files, "size_bytes": size}
            more = reader.separator("]")
        return found
