"""The report's backup table: the backup server's judgment first, with the latest good snapshot as
readable fields (arrival, claimed time, files, size, suspect or not), the host's own view after
it, and no snapshot shown as raw JSON."""

from __future__ import annotations

import datetime
import html
import json

from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _restic_arrivals as arrivals
from evidence_samples import SampleRun
from test_arrival_index import NOW, add, daily_history

from landingzone.evidence import write_evidence
from landingzone.evidence.backup_rows import backup_row, human_size


def server_record():
    index = daily_history(2)
    for number in range(100, 103):
        add(index, number, NOW - datetime.timedelta(minutes=number - 99), claimed=NOW + datetime.timedelta(days=9))
    return {"check": "server_rpo", "host": "app1", **arrivals.judge_rpo(index, "app1", 60, NOW), "error": None}


CLIENT_RECORD = {
    "check": "client_view",
    "host": "app1",
    "repository": "rest:https://backup1:8443/app1/",
    "rpo_met": False,
    "age_minutes": -12960.0,
    "latest": {
        "id": "5f2c0e1d",
        "time": "2026-11-29T12:00:00+00:00",
        "hostname": "app1",
        "paths": ["/tmp/x"],
        "size_bytes": 0,
        "file_count": 0,
    },  # fmt: skip
    "error": None,
    "last_run": {"status": "ok", "started": "2026-11-20T10:00:00+00:00", "finished": "2026-11-20T10:01:00+00:00"},
    "last_run_ok": True,
}


def test_the_latest_good_snapshot_is_shown_as_readable_fields():
    row = backup_row(server_record())
    assert row["judged by"] == "backup server (the judge)"
    assert row["arrival"] == "2026-11-19T01:00:00+00:00" and row["claimed time"] == "2026-11-19T00:58:00+00:00"
    assert row["files"] == 1000 and row["size"] == "9.5 MiB" and row["suspect"] is False
    assert row["snapshot"] == f"{1:064x}"[:8]
    assert row["suspect since then"].count("in the future of its arrival") == 3
    assert not any(isinstance(value, dict) for value in row.values())


def test_the_hosts_own_view_reads_the_same_way():
    row = backup_row(CLIENT_RECORD)
    assert row["judged by"] == "the host itself (second opinion)"
    assert row["claimed time"] == "2026-11-29T12:00:00+00:00" and row["files"] == 0 and row["size"] == "0 B"
    assert row["last run"] == "ok 2026-11-20T10:01:00+00:00"


def test_sizes_read_as_people_write_them():
    assert [human_size(n) for n in (None, 0, 1023, 1024, 5 * 2**30)] == ["", "0 B", "1023 B", "1.0 KiB", "5.0 GiB"]


def test_the_report_shows_no_snapshot_as_json_and_marks_both_breaches(tmp_path):
    sample = SampleRun()
    run = sample.run()
    run["backup"] = {"app1": [server_record(), CLIENT_RECORD]}
    files = write_evidence(tmp_path / "run", run, sample.results())
    page = files["report"].read_text()
    section = page[page.index('id="backup"') :]
    section = section[: section.index("</section>")]
    assert "Backups (2 need attention)" in section and section.count('class="breach"') == 2
    for heading in ("judged by", "arrival", "claimed time", "files", "size", "suspect"):
        assert f"<th>{heading}</th>" in section
    assert "<code>" not in section and html.escape('{"') not in section
    # results.json keeps the records whole, for whoever reads them by machine.
    stored = json.loads(files["results"].read_text())["backup"]["app1"]
    assert stored[0]["latest_good"]["arrival"] == "2026-11-19T01:00:00+00:00"
