"""report.html: one run of one municipality, for a person: what is broken first, then the rest.

Order of the page: hosts that were not reached (they have no results, so they must not hide),
compliance per CyFun level, the failing controls, the waivers with their expiry and approver,
the backups, restore drills and VPN gateways where the run has them, then every host's controls.
"""

import datetime

from landingzone.evidence.charts import status_bars
from landingzone.evidence.html_page import esc, page, status_badge
from landingzone.evidence.references import labelled_references
from landingzone.evidence.sections import render_sections
from landingzone.evidence.summary import LEVELS, NONCOMPLIANT, STATUSES, percent, reading_order

WAIVER_WARN_DAYS = 30
# What a supplier role's waiver request amounts to, by its state in results.json.
REQUEST_WORDS = {
    "pending": "not in effect until approved on the card",
    "approved": "approved on the card (see Waivers)",
}


def render_report(document: dict) -> str:
    municipality = document["municipality"]
    run = document["run"]
    name = municipality.get("display_name") or municipality["name"]
    title = f"{name} — {run['kind']} {run['ident']}"
    body = [
        f"<header><h1>{esc(title)}</h1>",
        _run_facts(municipality, run),
        "</header>",
        _not_reached(document),
        _summary(document),
        _failures(document),
        _waivers(document),
        render_sections(document),
        _hosts(document),
        _footer(run),
    ]
    return page(f"Landing zone evidence: {title}", "\n".join(part for part in body if part))


def _run_facts(municipality: dict, run: dict) -> str:
    facts = [
        ("NIS code", municipality["nis_code"]),
        ("started", run["started"]),
        ("finished", run["finished"]),
        ("operator", run["operator"]),
        ("project commit", run["project_commit"][:12]),
        ("collection", run["collection_version"]),
        ("ansible-core", run["ansible_core_version"]),
    ]
    # Spaces between the spans let the line wrap between facts, never inside one.
    return '<p class="meta">' + " ".join(f"<span>{esc(k)}: <b>{esc(v)}</b></span>" for k, v in facts) + "</p>"


def _not_reached(document: dict) -> str:
    broken = {name: state for name, state in document["hosts"].items() if not state["reachable"] or state["failed"]}
    if not broken:
        return ""
    items = "".join(
        f"<li><b>{esc(name)}</b>: {'not reached' if not state['reachable'] else 'run failed'}"
        f" — {esc(state['message'])}</li>"
        for name, state in sorted(broken.items())
    )
    return (
        '<section class="alert" id="unreachable">'
        f"<h2>{len(broken)} host{'s' if len(broken) != 1 else ''} without complete results</h2>"
        "<p>These hosts are not in the figures below: nothing is known about their controls from this run.</p>"
        f"<ul>{items}</ul></section>"
    )


def _summary(document: dict) -> str:
    summary = document["summary"]
    rows = [(level, summary["by_level"][level]) for level in LEVELS] + [("all levels", summary["overall"])]
    head = "".join(f'<th class="num">{esc(status.replace("_", " "))}</th>' for status in STATUSES)
    body = "".join(
        f"<tr><th>{esc(label)}</th>"
        + "".join(f'<td class="num">{counts[status]}</td>' for status in STATUSES)
        + f'<td class="num">{esc(percent(counts["compliance"]))}</td></tr>'
        for label, counts in rows
    )
    return (
        f'<section id="summary"><h2>Compliance by CyFun {esc(_edition(document))}level</h2>'
        f'<p class="compliance" id="compliance">{esc(percent(summary["overall"]["compliance"]))}</p>'
        '<p class="small">Compliance is (pass + fixed) / (pass + fixed + fail + error), over the hosts that were '
        "reached. Waived and not applicable controls are left out of it.</p>"
        f'<table id="levels"><thead><tr><th>level</th>{head}<th class="num">compliance</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
        f"{status_bars(rows)}</section>"
    )


def _edition(document: dict) -> str:
    """The CyFun edition(s) the results' levels belong to, as a prefix for "level"; older runs name none."""
    editions = sorted({result["cyfun_edition"] for result in document["results"] if result.get("cyfun_edition")})
    return " and ".join(map(str, editions)) + " " if editions else ""


def _result_rows(results, with_host: bool) -> str:
    rows = []
    for result in sorted(results, key=reading_order):
        host = f'<td class="id">{esc(result["host"])}</td>' if with_host else ""
        rows.append(
            f'<tr class="result" data-status="{esc(result["status"])}">{host}'
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


def _failures(document: dict) -> str:
    failing = [result for result in document["results"] if result["status"] in NONCOMPLIANT]
    if not failing:
        return (
            '<section id="failures"><h2>Failing controls</h2><p>No control failed on the hosts reached.</p></section>'
        )
    return (
        f'<section id="failures"><h2>Failing controls ({len(failing)})</h2>'
        f"{_result_rows(failing, with_host=True)}</section>"
    )


def _waiver_state(waiver: dict, finished: datetime.date) -> tuple[str, str]:
    """(css class, words) for a waiver as of the end of the run."""
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


def _asked_by(asked: dict) -> str:
    """Under a waiver's justification, the supplier roles whose contract asked for it, and why."""
    return "".join(
        f'<p class="waiver-request">requested by {esc(role)}: {esc(why)}</p>' for role, why in sorted(asked.items())
    )


def _waivers(document: dict) -> str:
    grouped: dict[tuple, dict] = {}
    for result in document["results"]:
        waiver = result.get("waiver")
        if not waiver:
            continue
        key = (result["control"], waiver.get("approver"), waiver.get("expires"), waiver.get("justification"))
        entry = grouped.setdefault(key, {"waiver": waiver, "hosts": set(), "title": result["title"], "asked": {}})
        entry["hosts"].add(result["host"])
        for request in result.get("waiver_requests") or []:
            entry["asked"][request["role"]] = request["justification"]
    if not grouped:
        return '<section id="waivers"><h2>Waivers</h2><p>No waiver applied in this run.</p></section>'
    finished = datetime.datetime.fromisoformat(document["run"]["finished"]).date()
    rows = []
    for (control, approver, expires, justification), entry in sorted(grouped.items(), key=lambda item: item[0][2]):
        css, state = _waiver_state(entry["waiver"], finished)
        rows.append(
            f'<tr class="waiver"><td><code class="id">{esc(control)}</code> {esc(entry["title"])}</td>'
            f"<td>{esc(', '.join(sorted(entry['hosts'])))}</td><td>{esc(approver)}</td>"
            f'<td class="expires id {css}">{esc(expires)}</td><td class="{css}">{esc(state)}</td>'
            f"<td>{esc(justification)}{_asked_by(entry['asked'])}</td>"
            f"<td>{esc(entry['waiver'].get('compensating_measure'))}</td></tr>"
        )
    return (
        f'<section id="waivers"><h2>Waivers ({len(rows)})</h2>'
        "<table><thead><tr><th>control</th><th>hosts</th><th>approver</th><th>expires</th><th>state</th>"
        "<th>justification</th><th>compensating measure</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _hosts(document: dict) -> str:
    parts = ['<section id="hosts"><h2>Hosts</h2>']
    for host in sorted(document["hosts"]):
        state = document["hosts"][host]
        results = [result for result in document["results"] if result["host"] == host]
        attention = [result for result in results if result["status"] not in ("pass", "fixed")]
        good = [result for result in results if result["status"] in ("pass", "fixed")]
        if not state["reachable"]:
            note = '<p class="expired">Not reached: no results.</p>'
        else:
            note = f"<p>{len(results)} controls: {len(attention)} need attention, {len(good)} pass.</p>"
        parts.append(f'<section class="host" id="host-{esc(host)}"><h3>{esc(host)}</h3>{note}')
        if attention:
            parts.append(_result_rows(attention, with_host=False))
        if good:
            parts.append(
                f"<details><summary>{len(good)} controls pass</summary>{_result_rows(good, with_host=False)}</details>"
            )
        parts.append("</section>")
    parts.append("</section>")
    return "".join(parts)


def _footer(run: dict) -> str:
    hashes = "".join(
        f"<li><code>{esc(path)}</code> sha256 <code>{esc(digest)}</code></li>"
        for path, digest in sorted(run["catalog_hashes"].items())
    )
    return (
        '<footer><h2>Catalogs of this run</h2><ul class="small">'
        f"{hashes or '<li>none recorded</li>'}</ul>"
        '<p class="small">results.json holds every field of every result; manifest.sha256 lets '
        "<code>sha256sum -c</code> prove that no file of this evidence changed.</p></footer>"
    )
