"""`landingzone drill M --workplace` from nothing: an empty desk (from the desk image) and an empty
gateway start beside the lab, the baseline makes the desk a virtual PC with RDP open to the gateway
alone, the workplace roles set both up, and a real RDP client logs in through the gateway as the
roster's person, with the vault's password and a TOTP code: the session must paint the desk's name
and the run's word. The time goes against the card's workplace RTO, into the evidence and the
summary; no password, code or TOTP secret reaches either; the empty hosts are gone afterwards.

The municipality is the test's own (lab network lz-wpdrill, 10.231.147.0/24): one desk, its
gateway, and a host for the roster's service."""

import json
import re
from pathlib import Path

import pytest
from lab_cli import LAB_VAULT_PASSWORD, ROOT, landingzone, podman
from workplace_drill_municipality import FIRST_PASSWORD, MUNICIPALITY, PERSON, TOTP_SECRET, write_municipality

from landingzone.lab.desk_image import ensure_desk_image


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    fleet = tmp_path_factory.mktemp("fleet")
    write_municipality(fleet)
    ensure_desk_image(ROOT)
    try:
        up = landingzone(fleet, "lab", "up", MUNICIPALITY, timeout=600)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        yield fleet
    finally:
        landingzone(fleet, "lab", "down", MUNICIPALITY)


def _drill(fleet: Path):
    result = landingzone(
        fleet, "--json", "--vault-password-file", str(LAB_VAULT_PASSWORD), "drill", MUNICIPALITY, "--workplace",
        timeout=1500,
    )  # fmt: skip
    assert result.stdout.startswith("{"), result.stdout[-3000:] + result.stderr[-3000:]
    return result, json.loads(result.stdout)


@pytest.mark.lab
def test_the_workplace_comes_up_from_nothing_and_a_real_client_logs_into_its_desk(fleet):
    result, summary = _drill(fleet)
    record = summary["workplace"]
    assert result.returncode == 0, json.dumps(record, indent=1) + result.stderr[-3000:]
    print(f"workplace drill, 1 desk: {record['achieved_seconds']} s (hosts {record['hosts_ready_seconds']} s, "
          f"set up {record['applied_seconds']} s, login {record['logins'][0]['login_seconds']} s)")  # fmt: skip
    assert record["status"] == "pass" and record["rto_met"] is True and record["rto_minutes"] == 30
    assert record["desks"] == 1 and record["gateway"] == f"{MUNICIPALITY}-drill-gw1"
    (login,) = record["logins"]
    assert login["desk"] == f"{MUNICIPALITY}-drill-desk1" and login["person"] == PERSON and login["logged_in"]
    # The session painted the empty desk's name and this run's word, which nothing else knew.
    assert re.fullmatch(rf"{MUNICIPALITY}-drill-desk1 [0-9a-f]{{16}}", login["session_showed"])
    assert 0 < record["hosts_ready_seconds"] < record["applied_seconds"] < record["achieved_seconds"] < 30 * 60

    # The evidence holds the same record, the report shows it, and nothing of the secrets is anywhere.
    (outcome,) = summary["municipalities"]
    evidence = Path(outcome["evidence_dir"])
    results = json.loads((evidence / "results.json").read_text(encoding="utf-8"))
    assert results["drill"][f"{MUNICIPALITY}-drill-gw1"] == [record]
    report = (evidence / "report.html").read_text(encoding="utf-8")
    assert login["session_showed"] in report and f"{MUNICIPALITY}-drill-gw1" in report
    written = [result.stdout, result.stderr]
    for tree in (evidence, Path(outcome["run_dir"])):
        written += [path.read_text(errors="replace") for path in tree.rglob("*") if path.is_file()]
    for secret in (FIRST_PASSWORD, TOTP_SECRET):
        assert not [text for text in written if secret in text], "a workplace secret was written"

    # Its empty hosts are gone; the lab's own are still there.
    names = podman("ps", "-a", "--format", "{{.Names}}").split()
    assert not [name for name in names if name.startswith(f"{MUNICIPALITY}-drill-")], names
    assert f"{MUNICIPALITY}-desk1" in names
