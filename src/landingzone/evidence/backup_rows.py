"""The backup section's rows as an auditor reads them: the snapshot a record speaks of becomes
readable fields (arrival, claimed time, files, size, suspect or not), never a blob of JSON.

The records themselves (results.json) stay as the modules returned them; only their rendering
in report.html is shaped here.
"""

JUDGES = {
    "server_rpo": "backup server (the judge)",
    "client_view": "the host itself (second opinion)",
    "restore_verify": "restore verification",
}
# The key under which each kind of record carries its snapshot.
SNAPSHOT_KEYS = ("latest_good", "latest", "snapshot")


def human_size(size) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def _snapshot_fields(snapshot) -> dict:
    snapshot = snapshot or {}
    return {
        "snapshot": str(snapshot.get("id", ""))[:8] or "none",
        "arrival": snapshot.get("arrival", ""),
        "claimed time": snapshot.get("claimed_time", snapshot.get("time", "")),
        "files": snapshot.get("files", snapshot.get("file_count", "")),
        "size": human_size(snapshot.get("size_bytes")),
        "suspect": snapshot.get("suspect", ""),
    }


def _suspects(suspects) -> str:
    return "; ".join(f"{s.get('id', '')}: {', '.join(s.get('reasons') or [])}" for s in suspects or [])


def backup_row(record: dict) -> dict:
    """One record as report columns, in the record's own order."""
    row = {}
    for key, value in record.items():
        if key == "check":
            row["judged by"] = JUDGES.get(value, value)
        elif key in SNAPSHOT_KEYS and (value is None or isinstance(value, dict)):
            row.update(_snapshot_fields(value))
        elif key == "suspects_since_good":
            row["suspect since then"] = _suspects(value)
        elif key == "last_run" and isinstance(value, dict):
            row["last run"] = " ".join(str(value.get(k, "")) for k in ("status", "finished") if value.get(k))
            if value.get("error"):
                row["last run error"] = value["error"]
        elif key == "error" and isinstance(value, dict):
            row["error"] = f"{value.get('kind', '')}: {value.get('message', '')}"
        else:
            row[key] = value
    return row
