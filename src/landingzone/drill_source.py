"""Where a drill's restores come from: the backup server, or the offsite copy alone.

The backup server is the everyday source. After the worst incident it is gone too, and every
restore comes from the offsite Object Lock copy, read as of a time before the incident (the
version of each object that was current then), with only what an operator keeps offline: the
fleet repository, the vault password and the recovery credential (the vault's
``landingzone_offsite_recovery``, which reads every version and writes nothing). A later
tampering of the bucket's current objects then changes nothing of what comes back.

The source is one value of the drill (``landingzone_drill.source``), whatever the drill brings
back, so that each restore says where it came from in the evidence and the report.
"""

import datetime
from pathlib import Path

from landingzone.errors import LandingzoneError

BACKUP_SERVER = "backup_server"
OFFSITE = "offsite"


def parse_as_of(text: str, now: datetime.datetime) -> datetime.datetime:
    """``--as-of``: an ISO 8601 time with its zone, not in the future, in UTC."""
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise LandingzoneError(
            f"--as-of: {text!r} is not an ISO 8601 time (for example 2026-11-20T06:00:00+01:00)", exit_code=2
        ) from None
    if moment.tzinfo is None:
        raise LandingzoneError(f"--as-of: {text!r} has no time zone (add Z or +01:00)", exit_code=2)
    moment = moment.astimezone(datetime.UTC)
    if moment > now:
        raise LandingzoneError(
            f"--as-of: {text!r} is in the future (now is {now:%Y-%m-%dT%H:%M:%SZ}); the copy holds nothing yet",
            exit_code=2,
        )
    return moment


def restore_source(
    role_vars: dict, from_offsite: bool, as_of: str | None, card_path: Path, now: datetime.datetime
) -> dict:
    """The drill's source: ``{kind: backup_server}``, or ``{kind: offsite, endpoint, bucket,
    region, as_of}`` from the card's offsite target, as of ``as_of`` (default: now, the latest
    copy). Errors name the option or the card's field, before any host is touched."""
    if not from_offsite:
        if as_of is not None:
            raise LandingzoneError(
                "--as-of: reads the offsite copy as of a time; give it with --from-offsite", exit_code=2
            )
        return {"kind": BACKUP_SERVER}
    moment = parse_as_of(as_of, now) if as_of is not None else now.astimezone(datetime.UTC)
    offsite = role_vars.get("landingzone_backup_offsite") or {}
    missing = [name for name in ("endpoint", "bucket") if not offsite.get(name)]
    if missing:
        raise LandingzoneError(
            f"{card_path}: backup.offsite: --from-offsite restores from the card's offsite copy, "
            f"which names no {' and no '.join(missing)}",
            exit_code=2,
        )
    return {
        "kind": OFFSITE,
        "endpoint": offsite["endpoint"],
        "bucket": offsite["bucket"],
        "region": offsite.get("region") or "us-east-1",
        "as_of": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def describe_source(source: dict) -> str:
    """One line for the drill's summary: where its restores came from."""
    if source.get("kind") == OFFSITE:
        return f"the offsite copy s3 {source['bucket']} at {source['endpoint']} as of {source['as_of']}"
    return "the backup server"
