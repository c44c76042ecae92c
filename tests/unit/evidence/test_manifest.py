"""manifest.sha256 is what `sha256sum -c` checks, and it notices a change."""

import subprocess


def sha256sum_check(run_dir):
    return subprocess.run(
        ["sha256sum", "-c", "manifest.sha256"], cwd=run_dir, capture_output=True, text=True, check=False
    )


def test_sha256sum_verifies_every_evidence_file(written):
    run_dir = written["files"]["manifest"].parent
    check = sha256sum_check(run_dir)
    assert check.returncode == 0, check.stdout + check.stderr
    assert sorted(line.split(":")[0] for line in check.stdout.splitlines()) == [
        "junit.xml",
        "report.html",
        "results.json",
    ]


def test_a_changed_file_fails_the_check(written):
    report = written["files"]["report"]
    report.write_text(report.read_text().replace("gem-app1", "gem-app9"))
    check = sha256sum_check(report.parent)
    assert check.returncode != 0
    assert "report.html: FAILED" in check.stdout


def test_files_already_in_the_run_directory_are_covered(tmp_path, sample):
    from landingzone.evidence import write_evidence

    run_dir = tmp_path / "run"
    (run_dir / "artifacts").mkdir(parents=True)
    (run_dir / "artifacts" / "stdout").write_text("PLAY RECAP\n")
    write_evidence(run_dir, sample.run(), sample.results())
    check = sha256sum_check(run_dir)
    assert check.returncode == 0 and "artifacts/stdout: OK" in check.stdout
