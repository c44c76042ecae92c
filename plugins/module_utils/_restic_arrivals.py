# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""The backup server's arrival index: when each snapshot reached the server, and what it held.

A client writes its snapshots' time, host name and paths itself, so a compromised client can
date them as it likes. The backup server therefore keeps its own record of every snapshot, one
JSON file per client: its arrival (when the REST server wrote the snapshot file, by the server's
clock), the time, host and paths the client claimed, and the size and file count the server
measured in it. From that record alone it judges:

- which snapshots are *suspect* (dated in the future of their arrival, dated far before it, or
  much smaller than the last good snapshot of the same paths): kept, alerted on, never counted
  toward the RPO and never given a retention slot;
- what retention may delete, by arrival, never younger than a minimum hold, always keeping the
  last good snapshots;
- whether a client meets its RPO: the age of its latest good snapshot, by arrival.

This file is also installed on the backup server (its keeper program imports it), so it uses
the standard library only and runs on the Python of Debian 12 and 13.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import tempfile

FORMAT = "landingzone-backup-arrivals"
VERSION = 1
# An NTP-synchronised client's clock is seconds off; a claim further in the future of the
# snapshot's arrival than this is never a clock's honest error.
FUTURE_TOLERANCE = datetime.timedelta(minutes=5)
# A snapshot the server could not measure this long after its arrival is suspect (a garbage
# snapshot file, a tree that is missing); before that it is only pending (a transient error).
MEASURE_GRACE = datetime.timedelta(hours=1)
CHECKS_KEPT = 30
SNAPSHOT_ID = re.compile(r"^[0-9a-f]{64}$")
# A client's name names its repository directory and its password file.
CLIENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")

DEFAULT_SUSPECT = {"max_skew_minutes": 360, "max_shrink_percent": 50}
DEFAULT_RETENTION = {
    "keep_daily": 7,
    "keep_weekly": 4,
    "keep_monthly": 12,
    "keep_yearly": 1,
    "keep_last_good": 3,
    "min_hold_days": 30,
}
# restic's own bucket keys for its policies: a snapshot fills a slot when its bucket differs
# from that of the snapshot that filled the previous slot of the same policy.
BUCKETS = (
    ("daily", "keep_daily", lambda t: t.strftime("%Y-%m-%d")),
    ("weekly", "keep_weekly", lambda t: f"{t.isocalendar()[0]}-W{t.isocalendar()[1]:02d}"),
    ("monthly", "keep_monthly", lambda t: t.strftime("%Y-%m")),
    ("yearly", "keep_yearly", lambda t: t.strftime("%Y")),
)


class ArrivalIndexError(ValueError):
    """An index file that cannot be read as one: never silently replaced by an empty one."""


def utc_text(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat()


def parse(text):
    return None if text is None else datetime.datetime.fromisoformat(text)


def valid_client(name) -> bool:
    return isinstance(name, str) and bool(CLIENT_NAME.match(name)) and name not in (".", "..")


# ---- the file ---------------------------------------------------------------------------------
def new_index(client: str) -> dict:
    return {
        "format": FORMAT,
        "version": VERSION,
        "client": client,
        "updated_at": None,
        "snapshots": {},
        "checks": [],
        "doubt": None,
        "retention": None,
    }


def load_index(path, client: str) -> dict:
    """The index of ``client`` at ``path``; a new one when there is no file yet."""
    try:
        with open(path, encoding="utf-8") as handle:
            index = json.load(handle)
    except FileNotFoundError:
        return new_index(client)
    except (OSError, ValueError) as exc:
        raise ArrivalIndexError(f"{path}: not a readable arrival index ({exc})") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT or not isinstance(index.get("snapshots"), dict):
        raise ArrivalIndexError(f"{path}: not an arrival index (format {FORMAT})")
    if index.get("client") != client:
        raise ArrivalIndexError(f"{path}: holds the arrivals of {index.get('client')!r}, not of {client!r}")
    for key, value in new_index(client).items():
        index.setdefault(key, value)
    return index


def save_index(path, index: dict) -> None:
    """Replace the file in one step (a crash leaves the old index or the new one, never half)."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".arrivals-", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(index, out, indent=1, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


# ---- recording --------------------------------------------------------------------------------
def present(index: dict) -> dict:
    """The snapshots still in the repository, by id."""
    return {sid: entry for sid, entry in index["snapshots"].items() if not entry.get("removed")}


def record_arrivals(index: dict, on_disk: dict, now: datetime.datetime):
    """Add a pending entry for every snapshot file not indexed yet (``on_disk``: id -> arrival).

    Returns (new ids, vanished ids): a vanished snapshot is indexed, was not removed by the
    retention, and its file is gone; only the REST service's account could have deleted it.
    """
    new = []
    for sid, arrival in sorted(on_disk.items(), key=lambda item: item[1]):
        if sid not in index["snapshots"]:
            index["snapshots"][sid] = {
                "arrival": utc_text(arrival),
                "measured": False,
                "time": None,
                "hostname": None,
                "paths": [],
                "tags": [],
                "size_bytes": None,
                "files": None,
                "suspect": False,
                "reasons": [],
                "unreadable": None,
                "accepted": None,
                "removed": None,
            }
            new.append(sid)
    vanished = []
    for sid, entry in present(index).items():
        if sid not in on_disk:
            entry["removed"] = {"at": utc_text(now), "by": "outside retention"}
            vanished.append(sid)
    index["updated_at"] = utc_text(now)
    return new, vanished


def describe(entry: dict, snapshot, measure) -> bool:
    """Fill what the client claimed (``snapshot``, from restic) and what the server measured
    (``measure``: {"files", "size_bytes"}); returns whether the entry is now measured."""
    if snapshot is None or measure is None:
        return False
    entry.update(
        time=utc_text(snapshot["time"]),
        hostname=snapshot.get("hostname") or "",
        paths=sorted(snapshot.get("paths") or []),
        tags=sorted(snapshot.get("tags") or []),
        files=int(measure["files"]),
        size_bytes=int(measure["size_bytes"]),
        measured=True,
    )
    return True


def is_good(entry: dict) -> bool:
    """Counts toward the RPO and may fill a retention slot: measured, not suspect (or accepted
    by an operator), not found unreadable, still in the repository."""
    return (
        bool(entry.get("measured"))
        and (not entry.get("suspect") or bool(entry.get("accepted")))
        and not entry.get("unreadable")
        and not entry.get("removed")
    )


def _by_arrival(items):
    return sorted(items, key=lambda item: (item[1]["arrival"], item[0]))


def _reference(index: dict, sid: str, entry: dict):
    """The last good snapshot that arrived before ``sid``, of the same host and paths; of the same
    host when those paths have none (an empty directory backed up instead of the host's paths)."""
    earlier = [
        (other, e)
        for other, e in _by_arrival(index["snapshots"].items())
        if other != sid and e["arrival"] <= entry["arrival"] and is_good(e) and e.get("hostname") == entry["hostname"]
    ]
    same_paths = [item for item in earlier if item[1].get("paths") == entry["paths"]]
    chosen = same_paths or earlier
    return chosen[-1] if chosen else (None, None)


def _shrink_percent(old, new):
    if not old:
        return 0.0
    return 100.0 * (old - new) / old


def suspect_reasons(index: dict, sid: str, policy: dict) -> list:
    """Why the measured snapshot ``sid`` is suspect (empty when it is not)."""
    entry = index["snapshots"][sid]
    skew = datetime.timedelta(minutes=int(policy.get("max_skew_minutes", DEFAULT_SUSPECT["max_skew_minutes"])))
    shrink = float(policy.get("max_shrink_percent", DEFAULT_SUSPECT["max_shrink_percent"]))
    arrival, claimed = parse(entry["arrival"]), parse(entry["time"])
    reasons = []
    if claimed > arrival + FUTURE_TOLERANCE:
        reasons.append(f"claims {entry['time']}, in the future of its arrival {entry['arrival']}")
    elif claimed < arrival - skew:
        hours = (arrival - claimed).total_seconds() / 3600
        reasons.append(
            f"claims {entry['time']}, {hours:.1f} h before its arrival {entry['arrival']}"
            f" (more than the {skew.total_seconds() / 60:.0f} minutes allowed)"
        )
    reference_id, reference = _reference(index, sid, entry)
    if reference is not None:
        for field, label in (("files", "files"), ("size_bytes", "bytes")):
            dropped = _shrink_percent(reference[field], entry[field])
            if dropped > shrink:
                reasons.append(
                    f"holds {entry[field]} {label} against {reference[field]} in {reference_id[:8]}, the last good"
                    f" snapshot before it ({dropped:.0f} % less; more than {shrink:g} % is suspect)"
                )
    return reasons


def judge_new(index: dict, measured_ids, policy: dict) -> list:
    """Judge the snapshots measured just now, in order of arrival; returns the suspect ones' ids."""
    suspects = []
    wanted = set(measured_ids)
    for sid, entry in _by_arrival(index["snapshots"].items()):
        if sid not in wanted:
            continue
        entry["reasons"] = suspect_reasons(index, sid, policy)
        entry["suspect"] = bool(entry["reasons"])
        if entry["suspect"]:
            suspects.append(sid)
    return suspects


def judge_unmeasurable(index: dict, now: datetime.datetime, error: str) -> list:
    """Pending snapshots past the grace: suspect, because nothing in them could be read."""
    suspects = []
    for sid, entry in present(index).items():
        if not entry.get("measured") and not entry.get("suspect") and parse(entry["arrival"]) + MEASURE_GRACE <= now:
            entry["suspect"] = True
            entry["reasons"] = [f"could not be read for {MEASURE_GRACE} after its arrival: {error}"]
            suspects.append(sid)
    return suspects


def record_check(index: dict, now, subset: str, ok: bool, message: str, damaged_packs, affected) -> None:
    """A verification's outcome. Damaged packs mark the snapshots that need them unreadable; a
    failure the server cannot pin to packs puts the whole repository in doubt."""
    index["checks"] = (
        index.get("checks", [])
        + [
            {
                "at": utc_text(now),
                "subset": subset,
                "ok": ok,
                "message": message,
                "damaged_packs": sorted(damaged_packs),
            }
        ]
    )[-CHECKS_KEPT:]
    for sid in affected:
        if sid in index["snapshots"]:
            index["snapshots"][sid]["unreadable"] = {"at": utc_text(now), "packs": sorted(damaged_packs)}
    if ok:
        index["doubt"] = None
    elif not damaged_packs:
        index["doubt"] = {"at": utc_text(now), "message": message}


def accept(index: dict, sid: str, now, who: str, reason: str) -> dict:
    """An operator's verdict that a suspect or unreadable snapshot is good after all."""
    matches = [other for other in index["snapshots"] if other.startswith(sid)]
    if len(matches) != 1:
        raise KeyError(f"{len(matches)} snapshots of {index['client']} match {sid!r}")
    entry = index["snapshots"][matches[0]]
    entry["accepted"] = {"at": utc_text(now), "by": who, "reason": reason}
    entry["unreadable"] = None
    return entry


# ---- retention --------------------------------------------------------------------------------
def select_retention(index: dict, policy: dict, now: datetime.datetime) -> dict:
    """What the retention keeps and forgets, each with its reasons: {"keep": {id: [..]}, "forget": {id: [..]}}.

    Slots are filled by arrival (in the server's time zone), among good snapshots only, per
    claimed host name as restic groups them. Suspect, unreadable and unmeasured snapshots are
    kept; nothing that arrived within the minimum hold is forgotten.
    """
    settings = dict(DEFAULT_RETENTION, **{k: v for k, v in policy.items() if v is not None})
    hold = datetime.timedelta(days=int(settings["min_hold_days"]))
    keep, groups = {}, {}
    for sid, entry in _by_arrival(present(index).items()):
        reasons = keep.setdefault(sid, [])
        if not entry.get("measured"):
            reasons.append("not measured yet")
        elif entry.get("unreadable"):
            reasons.append("unreadable: kept for repair")
        elif entry.get("suspect") and not entry.get("accepted"):
            reasons.append("suspect: kept for review")
        else:
            groups.setdefault(entry["hostname"], []).append(sid)
        if parse(entry["arrival"]) > now - hold:
            reasons.append(f"arrived within the minimum hold of {settings['min_hold_days']} days")
    for host, ids in groups.items():
        newest_first = list(reversed(ids))
        for sid in newest_first[: int(settings["keep_last_good"])]:
            keep[sid].append(f"one of the last {settings['keep_last_good']} good snapshots of {host}")
        for name, setting, bucket_of in BUCKETS:
            left, last = int(settings[setting]), None
            for sid in newest_first:
                if left <= 0:
                    break
                bucket = bucket_of(parse(index["snapshots"][sid]["arrival"]).astimezone())
                if bucket != last:
                    keep[sid].append(f"{name} slot {bucket}")
                    last, left = bucket, left - 1
    forget = {sid: ["beyond the retention policy"] for sid, reasons in keep.items() if not reasons}
    return {"keep": {sid: reasons for sid, reasons in keep.items() if reasons}, "forget": forget}


def record_forgotten(index: dict, forgotten, now) -> None:
    for sid in forgotten:
        index["snapshots"][sid]["removed"] = {"at": utc_text(now), "by": "retention"}


# ---- the RPO ----------------------------------------------------------------------------------
def snapshot_view(sid, entry) -> dict | None:
    """A snapshot as the evidence shows it."""
    if entry is None:
        return None
    return {
        "id": sid[:8],
        "arrival": entry["arrival"],
        "claimed_time": entry.get("time"),
        "files": entry.get("files"),
        "size_bytes": entry.get("size_bytes"),
        "suspect": bool(entry.get("suspect")) and not entry.get("accepted"),
        "reasons": list(entry.get("reasons") or []),
    }


def judge_rpo(index: dict, host: str, rpo_minutes: int, now: datetime.datetime) -> dict:
    """The server's judgment of ``host``'s RPO, from the arrival index only."""
    mine = [(sid, e) for sid, e in _by_arrival(present(index).items()) if e.get("hostname") in (host, None)]
    good = [(sid, e) for sid, e in mine if is_good(e)]
    latest_id, latest = good[-1] if good else (None, None)
    newer = [(sid, e) for sid, e in mine if latest is None or e["arrival"] > latest["arrival"]]
    suspects = [(sid, e) for sid, e in newer if e.get("suspect") and not e.get("accepted")]
    age = None
    if latest is not None:
        age = round((now - parse(latest["arrival"])).total_seconds() / 60, 1)
    if latest is None:
        met, reason = False, "no good snapshot has arrived"
    elif age < 0:
        met, reason = False, f"the latest good snapshot arrived {-age} minutes in the future of the server's clock"
    elif age > rpo_minutes:
        met, reason = False, f"the latest good snapshot arrived {age} minutes ago"
    else:
        met, reason = True, f"the latest good snapshot arrived {age} minutes ago"
    if suspects and not met:
        reason += f"; only suspect snapshots are newer ({len(suspects)})"
    elif suspects:
        reason += f"; {len(suspects)} suspect snapshots arrived after it"
    last_check = (index.get("checks") or [None])[-1]
    return {
        "rpo_minutes": rpo_minutes,
        "rpo_met": met,
        "age_minutes": age,
        "reason": reason,
        "snapshots": len(mine),
        "suspect_snapshots": sum(1 for _, e in mine if e.get("suspect") and not e.get("accepted")),
        "latest_good": snapshot_view(latest_id, latest),
        "suspects_since_good": [snapshot_view(sid, e) for sid, e in suspects[-10:]],
        "last_check_at": last_check["at"] if last_check else None,
        "last_check_ok": (last_check["ok"] and not index.get("doubt")) if last_check else None,
        "index_updated_at": index.get("updated_at"),
    }
