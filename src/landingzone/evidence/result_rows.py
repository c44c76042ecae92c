"""One table row per control result, as the report shows it in every section, and a waiver's state.

Each row carries what the report's filters select on: its status, its CyFun level and the
CyFun functions its references belong to (ID, PR, DE, RS, RC, and GV from CyFun 2025).
"""

import datetime

from landingzone.evidence.html_page import esc, status_badge
from landingzone.evidence.references import labelled_references
from landingzone.evidence.summary import reading_order

WAIVER_WARN_DAYS = 30
# What a supplier role's waiver request amounts to, by its state in results.json.
REQUEST_WORDS = {
    "pending": "not in effect until approved on the card",
    "approved": "approved on the card (see Waivers)",
}
CYFUN_FUNCTIONS = {"GV": "Govern", "ID": "Identify", "PR": "Protect", "DE": "Detect", "RS": "Respond", "RC": "Recover"}


def cyfun_functions(result: dict) -> list[str]:
    """The CyFun functions of a result's references in either edition: PR.AC-1.1 belongs to PR (Protect)."""
    references = [*(result.get("cyfun") or []), *(result.get("cyfun_2025") or [])]
    found = {str(reference).split(".", 1)[0] for reference in references}
    return [function for function in CYFUN_FUNCTIONS if function in found]


def result_rows(results, with_host: bool) -> str:
    rows = []
    for result in sorted(results, key=reading_order):
        host = f'<td class="id">{esc(result["host"])}</td>' if with_host else ""
        rows.append(
            f'<tr class="result" data-status="{esc(result["status"])}" data-level="{esc(result["level"])}" '
            f'data-function="{esc(" ".join(cyfun_functions(result)))}">{host}'
            f'<td class="id"><code>{esc(result["control"])}</code></td>'
            f"<td>{esc(result['title'])}{_references(result)}</td>"
            f"<td>{esc(result['level'])}</td><td>{status_badge(result['status'])}</td>"
            f"<td>{esc(result['reason'])}{_waiver_requests(result)}</td></tr>"
        )
    host_head = "<th>host</th>" if with_host else ""
    return (
        f"<table><thead><tr>{host_head}<th>control</th><th>title</th><th>level</th><th>status</th>"
        f"<th>reason</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _references(result: dict) -> str:
    """The control's references under its title: both CyFun editions, CIS, ANSSI, the Microsoft baseline."""
    named = [f"{esc(label)} {esc(', '.join(ids))}" for label, ids in labelled_references(result)]
    return f'<br><span class="small refs">{" · ".join(named)}</span>' if named else ""


def _waiver_requests(result: dict) -> str:
    """A supplier role's request beside the control it asks to waive: pending (never a waiver
    itself) on a failing control, approved on one the card waives."""
    return "".join(
        f'<p class="waiver-request">waiver requested by {esc(request["role"])}: {esc(request["justification"])}'
        f" — {REQUEST_WORDS[request['state']]}</p>"
        for request in result.get("waiver_requests") or []
    )


def waiver_state(waiver: dict, finished: datetime.date) -> tuple[str, str]:
    """(css class, words) for a waiver as of the end of the run: "expired", "soon" (within
    WAIVER_WARN_DAYS) or ""."""
    try:
        expires = datetime.date.fromisoformat(str(waiver["expires"]))
    except ValueError:
        return "expired", "unreadable expiry"
    days = (expires - finished).days
    if waiver.get("state") == "expired" or days < 0:
        return "expired", "expired"
    if days <= WAIVER_WARN_DAYS:
        return "soon", f"active, {days} day{'s' if days != 1 else ''} left"
    return "", "active"
