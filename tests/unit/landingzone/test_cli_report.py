"""`landingzone report` renders reports and the fleet index again from stored results alone."""

from landingzone import cli
from landingzone.evidence import write_evidence

RUN = {
    "municipality": {"name": "gent", "nis_code": "44021"},
    "ident": "44021-20260302T080000Z-abc123",
    "kind": "audit",
    "started": "2026-03-02T08:00:00+00:00",
    "finished": "2026-03-02T08:01:00+00:00",
    "operator": "unit",
    "project_commit": "0" * 40,
    "collection_version": "0.1.0",
    "ansible_core_version": "2.21.5",
    "catalog_hashes": {},
    "hosts": {"gent-app1": {"reachable": True, "failed": False, "message": ""}},
    "secrets": [],
}
RESULT = {"host": "gent-app1", "id": "LZ-SSH-001", "title": "SSH refuses passwords", "level": "basic", "status": "fail"}


def _fleet(tmp_path):
    (tmp_path / "gent").mkdir()
    (tmp_path / "gent" / "hosts.yml").write_text("all:\n  hosts:\n    gent-app1:\n")
    run_dir = tmp_path / "evidence" / "gent" / RUN["ident"]
    write_evidence(run_dir, RUN, [RESULT])
    return run_dir


def test_reports_are_rendered_again_and_results_json_is_left_as_it_was(tmp_path, capsys):
    run_dir = _fleet(tmp_path)
    results_before = (run_dir / "results.json").read_bytes()
    (run_dir / "report.html").unlink()
    (run_dir / "junit.xml").unlink()
    assert cli.main(["--fleet", str(tmp_path), "report", "--all"]) == 0
    assert "LZ-SSH-001" in (run_dir / "report.html").read_text()
    assert (run_dir / "junit.xml").is_file()
    assert (run_dir / "results.json").read_bytes() == results_before
    assert "gent" in (tmp_path / "evidence" / "index.html").read_text()
    assert f"re-rendered 1 runs\n{run_dir}" in capsys.readouterr().out


def test_a_damaged_results_file_is_named(tmp_path, capsys):
    run_dir = _fleet(tmp_path)
    (run_dir / "results.json").write_text("{not json")
    assert cli.main(["--fleet", str(tmp_path), "report", "gent"]) == 2
    assert f"{run_dir}/results.json" in capsys.readouterr().err
