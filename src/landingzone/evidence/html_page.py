"""The frame every evidence page shares: inline CSS, no external anything.

Reports are opened years later, offline, by auditors: a page must render from its own bytes.
The Content-Security-Policy makes the browser refuse any fetch, so a stray external reference
shows up as broken rather than as a silent request.
"""

import html

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STATUS_COLOURS = {
    "pass": "#2e7d32",
    "fixed": "#66bb6a",
    "fail": "#c62828",
    "error": "#6a1b1b",
    "waived": "#f9a825",
    "not_applicable": "#9e9e9e",
}
STATUS_WORDS = {
    "pass": "pass",
    "fixed": "fixed",
    "fail": "fail",
    "error": "error",
    "waived": "waived",
    "not_applicable": "not applicable",
}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 72rem;
       padding: 1.5rem; color: #1b1b1b; background: #fff; line-height: 1.4; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 2px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1.05rem; }
.meta { color: #555; font-size: .9rem; }
.meta span { margin-right: 1.2rem; white-space: nowrap; }
.alert { border: 3px solid #c62828; background: #fdecea; padding: .8rem 1rem; margin: 1rem 0; }
.alert h2 { border: 0; margin: 0 0 .4rem; color: #c62828; }
.compliance { font-size: 2.6rem; font-weight: 700; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { font-weight: 600; padding: 0 .4rem; border-radius: .2rem; color: #fff; white-space: nowrap; }
.status-pass { background: #2e7d32; } .status-fixed { background: #43a047; }
.status-fail { background: #c62828; } .status-error { background: #6a1b1b; }
.status-waived { background: #f9a825; color: #1b1b1b; } .status-not_applicable { background: #757575; }
.expired { color: #c62828; font-weight: 700; } .soon { color: #b26a00; font-weight: 700; }
.drift-worse { color: #c62828; font-weight: 700; } .drift-better { color: #2e7d32; font-weight: 700; }
tr.breach td { background: #fdecea; }
details { margin: .4rem 0 1rem; } summary { cursor: pointer; color: #333; }
code { font-size: .85rem; } .id { white-space: nowrap; } .small { font-size: .8rem; color: #555; }
.waiver-request { margin: .25rem 0 0; font-size: .85rem; color: #b26a00; }
"""


def esc(value) -> str:
    """Everything that came from data goes through here before it enters the page."""
    return html.escape("" if value is None else str(value), quote=True)


def status_badge(status: str) -> str:
    return f'<span class="status status-{esc(status)}">{esc(STATUS_WORDS.get(status, status))}</span>'


def page(title: str, body: str, meta: dict[str, str] | None = None) -> str:
    """A whole page; ``meta`` adds <meta name content> lines (the report names its renderer there)."""
    named = "".join(f'<meta name="{esc(name)}" content="{esc(value)}">\n' for name, value in (meta or {}).items())
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{named}"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
