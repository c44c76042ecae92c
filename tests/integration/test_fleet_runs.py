"""A fleet audit on real lab containers: three municipalities at once, one with a host that
is down. The other two complete, the exit code is 3, the evidence says what happened, and
the vault's secret is nowhere on disk or in the output."""

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lab_cli import ROOT, landingzone, podman

FIXTURES = ROOT / "tests" / "fixtures" / "fleet"
MUNICIPALITIES = ("lab-north", "lab-east", "lab-west")
DOWN_HOST = "west-ghost1"


def _vault_secret() -> str:
    """The plaintext of lab-north's vault value, read the way the CLI reads it."""
    from landingzone.runner.secret_values import municipality_secrets

    password = (FIXTURES / "vault-password").read_text().splitlines()[0]
    (secret,) = municipality_secrets(FIXTURES / "lab-north", password, set())
    return secret


@pytest.fixture(scope="module")
def labs():
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            ups = list(pool.map(lambda m: landingzone(FIXTURES, "lab", "up", m), MUNICIPALITIES))
        for up in ups:
            assert up.returncode == 0, up.stdout + up.stderr
        # The host is in the inventory, but its server is gone.
        podman("rm", "--force", "--time", "0", DOWN_HOST)
        yield
    finally:
        for municipality in MUNICIPALITIES:
            landingzone(FIXTURES, "lab", "down", municipality)


@pytest.fixture
def fleet(tmp_path):
    """A fleet of its own per test, whose municipalities are the fixtures: runs and evidence land here."""
    for municipality in MUNICIPALITIES:
        (tmp_path / municipality).symlink_to(FIXTURES / municipality)
    return tmp_path


@pytest.mark.lab
def test_three_municipalities_in_parallel_one_host_down(labs, fleet):
    result = landingzone(
        fleet,
        "--json",
        "audit",
        *MUNICIPALITIES,
        "--parallel",
        "3",
        "--vault-password-file",
        str(FIXTURES / "vault-password"),
    )
    assert result.returncode == 3, result.stdout + result.stderr
    summary = json.loads(result.stdout)
    outcomes = {o["municipality"]: o for o in summary["municipalities"]}
    assert summary["did_not_finish"] == ["lab-west"]

    for name in ("lab-north", "lab-east"):
        # Finished; the lab hosts are not hardened, so the audit finds them non-compliant.
        assert outcomes[name]["finished"] is True
        assert outcomes[name]["exit_code"] == 1
        assert all(host["reachable"] and not host["failed"] for host in outcomes[name]["hosts"].values())
    west = outcomes["lab-west"]
    assert west["exit_code"] == 3
    assert west["hosts"]["west-app1"] == {"reachable": True, "failed": False, "message": ""}
    assert west["hosts"][DOWN_HOST]["reachable"] is False
    assert west["hosts"][DOWN_HOST]["message"]

    for name, outcome in outcomes.items():
        evidence = Path(outcome["evidence_dir"])
        assert evidence.parent == fleet / "evidence" / name
        document = json.loads((evidence / "results.json").read_text())
        assert document["municipality"]["name"] == name
        hosts_with_results = {r["host"] for r in document["results"]}
        reached = {h for h, state in document["hosts"].items() if state["reachable"]}
        assert hosts_with_results == reached
        assert len(document["results"]) > 50 * len(reached)  # a whole catalog per reached host
        assert (evidence / "report.html").is_file() and (evidence / "manifest.sha256").is_file()
    # lab-east's card names CyFun 2025, the others give a level alone (2023): each run counts its
    # controls by the level of its own card's edition, and cites both editions.
    for name, edition in (("lab-north", 2023), ("lab-east", 2025)):
        evidence = Path(outcomes[name]["evidence_dir"])
        document = json.loads((evidence / "results.json").read_text())
        assert {r["cyfun_edition"] for r in document["results"]} == {edition}
        assert all(r["cyfun"] and r["cyfun_2025"] for r in document["results"])
        assert f"Compliance by CyFun {edition} level" in (evidence / "report.html").read_text()
    west_document = json.loads((Path(west["evidence_dir"]) / "results.json").read_text())
    assert west_document["hosts"][DOWN_HOST]["reachable"] is False
    assert DOWN_HOST in (Path(west["evidence_dir"]) / "report.html").read_text()
    assert (fleet / "evidence" / "index.html").is_file() or (fleet / "evidence" / "index.json").is_file()

    # The vault's secret and password: not in the output, the runner's artifacts
    # (command and env included), the logs, the vars files or the evidence.
    secret = _vault_secret()
    password = (FIXTURES / "vault-password").read_text().splitlines()[0]
    files = [p for p in fleet.rglob("*") if p.is_file()]
    assert any(p.name == "command" for p in files) and any(p.name == "landingzone.log" for p in files)
    for needle in (secret, password):
        assert needle not in result.stdout + result.stderr
        for path in files:
            assert needle.encode() not in path.read_bytes(), f"secret found in {path}"
