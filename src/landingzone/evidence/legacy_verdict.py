"""The verdict of a section's record written before records carried one.

Auditors re-read old evidence (archives, `landingzone report` on a stored run), so such a record
is still judged, by the rule the report applied when it was written: a field ``ok``, ``verified``
or one ending in ``_ok`` or ``_met`` that is false, or a ``status`` of fail, failed or error,
means it needs attention. Only records without a ``verdict`` come here; a record that has one is
judged by it alone, whatever its other fields are called.
"""

FLAG_FIELDS = frozenset({"ok", "verified"})
FLAG_ENDINGS = ("_met", "_ok")
BAD_STATUSES = frozenset({"fail", "failed", "error"})


def legacy_verdict(record: dict) -> str:
    flags = [value for key, value in record.items() if key in FLAG_FIELDS or key.endswith(FLAG_ENDINGS)]
    bad = any(value is False for value in flags) or str(record.get("status", "")).lower() in BAD_STATUSES
    return "fail" if bad else "pass"
