"""The report's hosts: per host what needs attention first, the rest folded away behind filters.

Attention is a failing or erroring control, a waiver that has expired or ends within
WAIVER_WARN_DAYS, and a record of the run's other sections (backups, drills, VPN, and any
section added later) that says something is wrong on that host. not_applicable is never
attention. The filters (status, CyFun level, CyFun function) are radio buttons and CSS
selectors: the page has no script at all, and its Content-Security-Policy would refuse one.
"""

import datetime
from collections import Counter

from landingzone.evidence.html_page import esc
from landingzone.evidence.result_rows import CYFUN_FUNCTIONS, result_rows, waiver_state
from landingzone.evidence.sections import SECTION_TITLES, record_is_bad
from landingzone.evidence.summary import LEVELS, NONCOMPLIANT, STATUSES

ATTENTION_WORDS = {"fail": "fail", "error": "error", "expiring": "waiver expiring", "suspect": "suspect record"}
FILTERS = {
    "status": {status: status.replace("_", " ") for status in STATUSES},
    "level": {level: level for level in LEVELS},
    "function": {code: f"{code} {name}" for code, name in CYFUN_FUNCTIONS.items()},
}


def _filter_css() -> str:
    """Checking a value hides every row of the hosts' tables that lacks it; "all" hides nothing."""
    rules = [
        f'#hosts:has(#filter-{name}-{value}:checked) tr.result:not([data-{name}~="{value}"]) {{ display: none; }}'
        for name, values in FILTERS.items()
        for value in values
    ]
    return (
        "<style>" + "\n".join(rules) + " .filters fieldset { display: inline-block; margin: 0 .6rem .4rem 0; }</style>"
    )


def _filters() -> str:
    groups = []
    for name, values in FILTERS.items():
        choices = [("all", "all", True), *((value, words, False) for value, words in values.items())]
        inputs = "".join(
            f'<label><input type="radio" name="filter-{name}" id="filter-{name}-{value}" value="{esc(value)}"'
            f"{' checked' if checked else ''}> {esc(words)}</label> "
            for value, words, checked in choices
        )
        groups.append(f"<fieldset><legend>{esc(name)}</legend>{inputs}</fieldset>")
    return f'<form class="filters" id="filters">{"".join(groups)}</form>'


def needs_attention(result: dict, finished: datetime.date) -> bool:
    if result["status"] in NONCOMPLIANT:
        return True
    return (
        result["status"] == "waived"
        and bool(result.get("waiver"))
        and bool(waiver_state(result["waiver"], finished)[0])
    )


def suspect_records(document: dict, host: str) -> list[tuple[str, str]]:
    """(section id, title) of each record of the run's other sections that says something is wrong on ``host``."""
    return [
        (section, title)
        for section, title in SECTION_TITLES.items()
        for record in (document.get(section) or {}).get(host) or []
        if record_is_bad(record)
    ]


def _counted(counts: Counter, words: dict[str, str]) -> str:
    return ", ".join(f"{counts[key]} {word}" for key, word in words.items() if counts[key])


def _host(document: dict, host: str, finished: datetime.date) -> str:
    state = document["hosts"][host]
    results = [result for result in document["results"] if result["host"] == host]
    attention = [result for result in results if needs_attention(result, finished)]
    rest = [result for result in results if not needs_attention(result, finished)]
    suspects = suspect_records(document, host)
    parts = [f'<section class="host" id="host-{esc(host)}"><h3>{esc(host)}</h3>']
    if not state["reachable"]:
        parts.append('<p class="expired">Not reached: no results.</p>')
    counts = Counter(result["status"] for result in attention)
    counts["expiring"] = counts.pop("waived", 0)
    counts["suspect"] = len(suspects)
    total = sum(counts.values())
    what = _counted(
        counts, {"fail": "fail", "error": "error", "expiring": "waiver expiring", "suspect": "suspect record"}
    )
    parts.append(
        f'<p class="attention-count">{total} need{"s" if total == 1 else ""} attention'
        f"{': ' + what if what else ''}.</p>"
    )
    if suspects:
        items = "".join(
            f'<li><a href="#{esc(section)}">{esc(title)}</a>: a record says something is wrong</li>'
            for section, title in suspects
        )
        parts.append(f'<ul class="suspect">{items}</ul>')
    if attention:
        parts.append(result_rows(attention, with_host=False))
    if rest:
        words = {status: status.replace("_", " ") for status in STATUSES}
        summary = _counted(Counter(result["status"] for result in rest), words)
        parts.append(
            f'<details class="rest"><summary>{len(rest)} more controls: {esc(summary)}</summary>'
            f"{result_rows(rest, with_host=False)}</details>"
        )
    parts.append("</section>")
    return "".join(parts)


def render_hosts(document: dict) -> str:
    finished = datetime.datetime.fromisoformat(document["run"]["finished"]).date()
    hosts = "".join(_host(document, host, finished) for host in sorted(document["hosts"]))
    return (
        f'<section id="hosts"><h2>Hosts</h2>{_filter_css()}'
        '<p class="small">Per host, what needs attention comes first: failing controls, errors, waivers that have '
        "expired or end within 30 days, and records of the sections above that say something is wrong. "
        "Not applicable is never counted. The rest is folded away; the filters select rows in every table below.</p>"
        f"{_filters()}{hosts}</section>"
    )
