"""A copy of a municipality's evidence in an append-only restic repository on its backup server.

The backup server's REST server (`rclone serve restic --append-only`) lets a client add
snapshots but never delete or rewrite one. Each archive is a snapshot of the municipality's
whole evidence tree, so an operator whose workstation is compromised can add forged runs, but
the snapshots taken before stay as they were, and a run restored from one verifies or not on
its own (`landingzone evidence verify`).

Secrets come from files and reach restic through its environment, never its command line.
"""

import json
import os
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from landingzone.errors import LandingzoneError

TAG = "landingzone-evidence"
# Every archive is stored under this host name, so `restic snapshots` groups the municipality's history.
ARCHIVE_HOST = "landingzone-evidence"


@dataclass(frozen=True)
class ArchiveTarget:
    repository: str  # rest:https://host:port/path/ without credentials
    rest_user: str
    rest_password: str
    password: str  # the repository's own password
    cacert: Path


def _secret(path: Path, what: str) -> str:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise LandingzoneError(f"{path}: {what}: cannot be read: {exc.strerror}") from None
    if not lines or not lines[0]:
        raise LandingzoneError(f"{path}: {what}: is empty")
    return lines[0]


def archive_target(repository: str, rest_user: str, rest_password_file, password_file, cacert) -> ArchiveTarget:
    """The target, checked before anything is sent: a REST repository over HTTPS, readable secrets and CA."""
    parsed = urllib.parse.urlsplit(repository.removeprefix("rest:"))
    if not repository.startswith("rest:https://") or parsed.username or parsed.password or not parsed.hostname:
        raise LandingzoneError(
            f"--repository: {repository!r}: give the backup server's REST repository as rest:https://HOST:PORT/PATH/ "
            "(its user and password go in --rest-user and --rest-password-file)"
        )
    if not Path(cacert).is_file():
        raise LandingzoneError(f"{cacert}: --cacert: no such CA certificate")
    return ArchiveTarget(
        repository=repository,
        rest_user=rest_user,
        rest_password=_secret(rest_password_file, "--rest-password-file"),
        password=_secret(password_file, "--password-file"),
        cacert=Path(cacert),
    )


def _environment(target: ArchiveTarget) -> dict[str, str]:
    parsed = urllib.parse.urlsplit(target.repository.removeprefix("rest:"))
    credentials = f"{urllib.parse.quote(target.rest_user, safe='')}:{urllib.parse.quote(target.rest_password, safe='')}"
    url = parsed._replace(netloc=f"{credentials}@{parsed.netloc}").geturl()
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": os.environ.get("HOME", "/root"),
        "RESTIC_REPOSITORY": f"rest:{url}",
        "RESTIC_PASSWORD": target.password,
    }


def _restic(target: ArchiveTarget, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["restic", "--no-cache", "--cacert", str(target.cacert), *args],
        env=_environment(target),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def _scrubbed(text: str, target: ArchiveTarget) -> str:
    for secret in (target.rest_password, target.password):
        text = text.replace(secret, "********")
    return text.strip()


def archive(evidence_root: Path, municipality: str, target: ArchiveTarget) -> str:
    """Take a snapshot of <evidence_root>/<municipality>; returns its id. The repository is
    created on first use."""
    source = Path(evidence_root) / municipality
    if not source.is_dir():
        raise LandingzoneError(f"{source}: evidence archive: the municipality has no evidence")
    if _restic(target, "cat", "config").returncode != 0:
        created = _restic(target, "init")
        if created.returncode != 0:
            raise LandingzoneError(
                f"{target.repository}: cannot open or create it: {_scrubbed(created.stderr, target)}"
            )
    # Relative paths from the evidence root, so a restore gives <municipality>/<ident>/... back.
    result = _restic(
        target,
        "backup",
        "--json",
        "--host",
        ARCHIVE_HOST,
        "--tag",
        TAG,
        "--tag",
        municipality,
        municipality,
        cwd=Path(evidence_root),
    )
    if result.returncode != 0:
        raise LandingzoneError(f"{target.repository}: evidence archive failed: {_scrubbed(result.stderr, target)}")
    summary = [json.loads(line) for line in result.stdout.splitlines() if '"summary"' in line]
    if not summary:
        raise LandingzoneError(f"{target.repository}: restic reported no snapshot")
    return summary[-1]["snapshot_id"]
