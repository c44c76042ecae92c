"""The per-control result record and the run summary, as documented in docs/controls.md."""

from __future__ import annotations

# The statuses a control ends in; the catalog layer (catalog.py) gives them to the filters and reports.
STATUSES = ("pass", "fixed", "fail", "waived", "not_applicable", "error")

# Every reference field a control may cite; a result carries them so a report needs nothing else.
REFERENCE_FIELDS = ("cyfun", "cyfun_2025", "cis", "cis_debian13", "anssi")


def record(
    control,
    status,
    changed=False,
    reason="",
    found=None,
    expected=None,
    diff=None,
    reboot_required=False,
    waiver=None,
    notes=None,
):
    if status not in STATUSES:
        raise ValueError(f"unknown status {status}")
    result = {
        "id": control["id"],
        "title": control.get("title", ""),
        "type": control.get("type", ""),
        "level": control.get("level", ""),
        "risk": control.get("risk", ""),
        "status": status,
        "changed": bool(changed),
        "reason": reason,
        "evidence": {"found": found, "expected": expected, **(notes or {})},
        "diff": list(diff or []),
        "reboot_required": bool(reboot_required),
    }
    for mapping in REFERENCE_FIELDS:
        if control.get(mapping):
            result[mapping] = list(control[mapping])  # so a report needs nothing but the results
    if control.get("cyfun_edition"):
        result["cyfun_edition"] = int(control["cyfun_edition"])  # the edition `level` belongs to
    if waiver:
        result["waiver"] = waiver
    return result


def summarise(results):
    counts = dict.fromkeys(STATUSES, 0)
    for result in results:
        counts[result["status"]] += 1
    counts["total"] = len(results)
    return counts
