"""The report's sections beside the control results: backups, restore drills, VPN gateways, the
log collector's chains, whatever sections the results schema declares, under its titles.

Their records come from the roles' own status modules and plays (``landingzone_evidence``), so
their fields differ by role. Each section is one table per host with a column per field; a record
whose verdict is fail or error is marked, and counted in the section's heading, so a breach cannot
hide. A record written before records carried a verdict is judged as it was then (legacy_verdict).
"""

import json

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.results_schema import section_titles

from landingzone.evidence.backup_rows import backup_row
from landingzone.evidence.html_page import esc
from landingzone.evidence.legacy_verdict import legacy_verdict
from landingzone.evidence.summary import NONCOMPLIANT

# {section: heading}, as the results schema declares them.
SECTION_TITLES = section_titles()
# How a section's records become table rows, where the raw record would not read well.
ROW_VIEWS = {"backup": backup_row}


def record_verdict(record: dict) -> str:
    return record["verdict"] if "verdict" in record else legacy_verdict(record)


def record_is_bad(record: dict) -> bool:
    return record_verdict(record) in NONCOMPLIANT


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
