"""report.html without a browser: self-contained and escaped (the browser test looks at the rendering)."""

import re

from landingzone.evidence import write_evidence

EXTERNAL = re.compile(r"""(src|href)\s*=\s*["']?\s*(https?:)?//|url\(|@import|<script|<link|<img""", re.IGNORECASE)


def test_report_references_nothing_outside_itself(written):
    html = written["files"]["report"].read_text()
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    assert "<svg" in html and "<style>" in html
    assert "default-src 'none'" in html


def test_data_is_html_escaped(tmp_path, sample):
    results = sample.results()
    results[0]["title"] = '<script>alert("x")</script> & more'
    results[0]["waiver"]["approver"] = "<b>Boss</b>"
    files = write_evidence(tmp_path / "run", sample.run(), results)
    html = files["report"].read_text()
    assert "<script>" not in html and "<b>Boss</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in html
    assert "&lt;b&gt;Boss&lt;/b&gt;" in html


def test_failures_section_comes_before_the_hosts_and_lists_only_failures(written):
    html = written["files"]["report"].read_text()
    assert html.index('id="unreachable"') < html.index('id="summary"') < html.index('id="failures"')
    assert html.index('id="failures"') < html.index('id="waivers"') < html.index('id="hosts"')
    failures = html[html.index('id="failures"') : html.index('id="waivers"')]
    statuses = re.findall(r'data-status="(\w+)"', failures)
    expected = sum(1 for r in written["results"] if r["status"] in ("fail", "error"))
    assert len(statuses) == expected and set(statuses) == {"fail", "error"}
    assert statuses == sorted(statuses, key=lambda s: s != "error")  # errors, then fails


def test_backup_and_vpn_records_are_shown_with_breaches_marked(tmp_path, sample):
    run = sample.run()
    run["backup"] = {
        "app1": [{"repository": "rest:https://backup1/app1", "age_minutes": 30, "rpo_met": True}],
        "app2": [{"repository": "rest:https://backup1/app2", "age_minutes": 2000, "rpo_met": False}],
        "app3": [{"check": "restore_verify", "verified": False}, {"check": "restore_verify", "verified": True}],
        # Within its RPO, but the agent's last run failed: that needs attention before the RPO is missed.
        "app4": [{"repository": "rest:https://backup1/app4", "rpo_met": True, "last_run_ok": False}],
    }
    run["vpn"] = {"vpn1": [{"peer": "supplier-a", "<b>": "<i>x</i>", "allowed": [{"host": "app1", "port": 22}]}]}
    files = write_evidence(tmp_path / "run", run, sample.results())
    html = files["report"].read_text()
    assert html.index('id="waivers"') < html.index('id="backup"') < html.index('id="vpn"') < html.index('id="hosts"')
    backup = html[html.index('id="backup"') : html.index('id="vpn"')]
    assert "Backups (3 need attention)" in backup and backup.count('class="breach"') == 3
    assert backup.count("<tr") == 9  # per host: a header row and a row per record
    assert "drill" not in html[html.index('id="backup"') : html.index('id="hosts"')]  # no empty section
    assert "<i>x</i>" not in html and "&lt;i&gt;x&lt;/i&gt;" in html
