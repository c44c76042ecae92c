"""The report's sections for backups, restore drills, VPN gateways and the log collector's chains.

Their records come from the roles' own status modules (``landingzone_evidence``), so their
fields differ by role. Each section is one table per host with a column per field; a record
that says something is wrong (an ``ok``, ``verified``, ``*_ok`` or ``*_met`` field that is
false, a ``status`` of fail or error) is marked, and counted in the section's heading, so a breach cannot hide.
"""

import json

from landingzone.evidence.backup_rows import backup_row
from landingzone.evidence.html_page import esc

SECTION_TITLES = {"backup": "Backups", "drill": "Restore drills", "vpn": "VPN gateways", "logs": "Central logs"}
BAD_STATUSES = frozenset({"fail", "failed", "error"})
# How a section's records become table rows, where the raw record would not read well.
ROW_VIEWS = {"backup": backup_row}
VERDICT_FIELDS = frozenset({"ok", "verified"})


def record_is_bad(record: dict) -> bool:
    flags = [value for key, value in record.items() if key in VERDICT_FIELDS or key.endswith(("_met", "_ok"))]
    return any(value is False for value in flags) or str(record.get("status", "")).lower() in BAD_STATUSES


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else '<span class="expired">no</span>'
    if isinstance(value, dict | list):
        return f"<code>{esc(json.dumps(value, sort_keys=True))}</code>"
    return esc("" if value is None else value)


def _table(records: list[dict], view=dict) -> str:
    shown = [view(record) for record in records]
    columns: list[str] = []
    for row in shown:
        columns += [key for key in row if key not in columns]
    head = "".join(f"<th>{esc(column)}</th>" for column in columns)
    rows = "".join(
        f'<tr class="{"breach" if record_is_bad(record) else ""}">'
        + "".join(f"<td>{_cell(row.get(column))}</td>" for column in columns)
        + "</tr>"
        for record, row in zip(records, shown, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def render_sections(document: dict) -> str:
    parts = []
    for section, title in SECTION_TITLES.items():
        per_host = document.get(section) or {}
        if not per_host:
            continue
        bad = sum(record_is_bad(record) for records in per_host.values() for record in records)
        heading = f"{title} ({bad} need attention)" if bad else title
        parts.append(f'<section id="{section}"{" class=alert" if bad else ""}><h2>{esc(heading)}</h2>')
        for host in sorted(per_host):
            parts.append(f"<h3>{esc(host)}</h3>{_table(per_host[host], ROW_VIEWS.get(section, dict))}")
        parts.append("</section>")
    return "".join(parts)
