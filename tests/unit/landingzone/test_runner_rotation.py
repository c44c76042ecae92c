"""Rotation keeps the newest runner artifact directories and never touches evidence."""

import os

from landingzone.runner.rotation import rotate_runs


def _runs(base, count):
    made = []
    for i in range(count):
        run = base / f"44021-2026030{i + 1}T080000Z-abc{i:03}"
        (run / "artifacts").mkdir(parents=True)
        (run / "artifacts" / "stdout").write_text("x")
        made.append(run)
    return made


def test_only_the_newest_runs_are_kept(tmp_path):
    runs = _runs(tmp_path / "runs" / "gent", 5)
    # mtimes disagree with the idents: the ident's time decides, not the file system.
    for age, run in enumerate(runs):
        os.utime(run, (1000 + (5 - age), 1000 + (5 - age)))
    removed = rotate_runs(tmp_path / "runs" / "gent", 2, tmp_path / "evidence")
    assert removed == runs[:3]
    assert sorted(p.name for p in (tmp_path / "runs" / "gent").iterdir()) == [r.name for r in runs[3:]]


def test_evidence_of_rotated_runs_stays(tmp_path):
    runs = _runs(tmp_path / "runs" / "gent", 4)
    for run in runs:
        evidence = tmp_path / "evidence" / "gent" / run.name
        evidence.mkdir(parents=True)
        (evidence / "results.json").write_text("{}")
    rotate_runs(tmp_path / "runs" / "gent", 1, tmp_path / "evidence")
    assert len(list((tmp_path / "runs" / "gent").iterdir())) == 1
    assert len(list((tmp_path / "evidence" / "gent").glob("*/results.json"))) == 4


def test_a_run_directory_that_holds_or_is_evidence_is_never_removed(tmp_path):
    runs_dir = tmp_path / "fleet" / "runs" / "gent"
    runs = _runs(runs_dir, 4)
    # An evidence tree configured inside an old run, and an old run that is a symlink to evidence.
    evidence_root = runs[0] / "evidence"
    (evidence_root / "gent").mkdir(parents=True)
    (evidence_root / "gent" / "results.json").write_text("{}")
    linked = runs_dir / "44021-20260301T070000Z-link00"
    linked.symlink_to(evidence_root / "gent")
    removed = rotate_runs(runs_dir, 1, evidence_root)
    assert runs[0] not in removed and runs[0].exists()
    assert (evidence_root / "gent" / "results.json").exists()
    assert linked.is_symlink()
    assert removed == runs[1:3]


def test_directories_that_are_not_runs_are_left_alone(tmp_path):
    runs_dir = tmp_path / "runs" / "gent"
    _runs(runs_dir, 2)
    (runs_dir / "notes").mkdir()
    rotate_runs(runs_dir, 1, tmp_path / "evidence")
    assert (runs_dir / "notes").is_dir()


def test_keeping_zero_disables_rotation(tmp_path):
    runs = _runs(tmp_path / "runs", 3)
    assert rotate_runs(tmp_path / "runs", 0, tmp_path / "evidence") == []
    assert all(run.exists() for run in runs)
