"""report.html: one run of one municipality, for a person: what is broken first, then the rest.

Order of the page: hosts that were not reached (they have no results, so they must not hide),
compliance per CyFun level, the failing controls, the waivers with their expiry and approver,
the backups, restore drills and VPN gateways where the run has them, then every host's controls.
"""

import datetime

from landingzone.evidence.charts import status_bars
from landingzone.evidence.host_section import render_hosts
from landingzone.evidence.html_page import esc, page
from landingzone.evidence.result_rows import result_rows, waiver_state
from landingzone.evidence.sections import render_sections
from landingzone.evidence.summary import LEVELS, NONCOMPLIANT, STATUSES, percent

RENDERER_META = "landingzone-renderer"


def render_report(document: dict, renderer: str = "") -> str:
    """The page; ``renderer`` (renderer.renderer_id) is named in it so that a verifier knows
    whether its own code would render the same bytes."""
    municipality = document["municipality"]
    run = document["run"]
    name = municipality.get("display_name") or municipality["name"]
    title = f"{name} — {run['kind']} {run['ident']}"
    header = f"<header><h1>{esc(title)}</h1>{_run_facts(municipality, run)}</header>"
    body = [header, *(section(document) for section in SECTIONS)]
    meta = {RENDERER_META: renderer} if renderer else {}
    return page(f"Landing zone evidence: {title}", "\n".join(part for part in body if part), meta)


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


def _failures(document: dict) -> str:
    failing = [result for result in document["results"] if result["status"] in NONCOMPLIANT]
    if not failing:
        return (
            '<section id="failures"><h2>Failing controls</h2><p>No control failed on the hosts reached.</p></section>'
        )
    return (
        f'<section id="failures"><h2>Failing controls ({len(failing)})</h2>'
        f"{result_rows(failing, with_host=True)}</section>"
    )


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
        css, state = waiver_state(entry["waiver"], finished)
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


def _footer(document: dict) -> str:
    run = document["run"]
    hashes = "".join(
        f"<li><code>{esc(path)}</code> sha256 <code>{esc(digest)}</code></li>"
        for path, digest in sorted(run["catalog_hashes"].items())
    )
    return (
        '<footer><h2>Catalogs of this run</h2><ul class="small">'
        f"{hashes or '<li>none recorded</li>'}</ul>"
        '<p class="small">results.json holds every field of every result; manifest.sha256 lists the checksum of '
        "every file, and manifest.sha256.p7s, where the fleet signs its evidence, signs the manifest. "
        "<code>landingzone evidence verify</code> checks both with the fleet CA's certificate alone.</p></footer>"
    )


# The page's sections in reading order, each a function of results.json that returns its HTML
# (or "" to leave itself out). A new kind of finding adds its function here.
SECTIONS = (_not_reached, _summary, _failures, _waivers, render_sections, render_hosts, _footer)
