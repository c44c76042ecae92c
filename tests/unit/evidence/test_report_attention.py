"""Each host's part of report.html: what needs attention first and counted honestly, the rest folded away."""

import re

from evidence_samples import SampleRun

from landingzone.evidence import write_evidence


def host_part(html: str, host: str) -> str:
    start = html.index(f'id="host-{host}"')
    return html[start : html.index("</section>", start)]


def attention_table(part: str) -> str:
    return part.split('<details class="rest">')[0]


def test_not_applicable_is_not_attention_and_an_expiring_waiver_and_a_suspect_backup_are(tmp_path):
    sample = SampleRun(unreachable=())
    run = sample.run()
    run["backup"] = {
        "gem-app1": [{"repository": "gem-app1", "snapshot": "4f3a", "verified": False}],
        "gem-app2": [{"repository": "gem-app2", "snapshot": "9c1d", "verified": True}],
    }
    results = sample.results()
    files = write_evidence(tmp_path / "run", run, results)
    html = files["report"].read_text()
    for host in sample.hosts:
        mine = [r for r in results if r["host"] == host]
        part = host_part(html, host)
        # The first host's waivers end within 12 days; the others' in 120.
        expiring = sum(r["status"] == "waived" for r in mine) if host == "gem-app1" else 0
        suspect = 1 if host == "gem-app1" else 0
        failing = sum(r["status"] in ("fail", "error") for r in mine)
        total = failing + expiring + suspect
        assert re.search(rf'class="attention-count">{total} needs? attention', part), (host, part[:400])
        shown = re.findall(r'data-status="(\w+)"', attention_table(part))
        assert len(shown) == failing + expiring and "not_applicable" not in shown and "pass" not in shown
        folded = re.findall(r'data-status="(\w+)"', part.split('<details class="rest">')[1])
        assert len(folded) == len(mine) - len(shown) and "not_applicable" in folded
    assert '<a href="#backup">Backups</a>' in host_part(html, "gem-app1")
    assert "suspect record" not in host_part(html, "gem-app2")


def test_rows_carry_what_the_filters_select_on_and_the_page_has_no_script(written):
    html = written["files"]["report"].read_text()
    rows = re.findall(r'<tr class="result" data-status="(\w+)" data-level="(\w+)" data-function="([A-Z ]*)"', html)
    assert rows and {level for _, level, _ in rows} == {"basic", "important", "essential"}
    assert {"PR"} <= {f for _, _, functions in rows for f in functions.split()}
    for name in ("status", "level", "function"):
        assert f'id="filter-{name}-all" value="all" checked' in html
    assert '#hosts:has(#filter-status-fail:checked) tr.result:not([data-status~="fail"])' in html
    assert "<script" not in html and "script-src" not in html
