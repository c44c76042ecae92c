"""Signed evidence and `evidence verify`, tried as an attacker who can write the evidence directory would.

Every run here is written by write_evidence with a real fleet CA and evidence-signing key
(landingzone pki), and checked with the CA's public certificate only. openssl, a second and
independent CMS implementation, is asked to agree with the verifier.
"""

import datetime
import json
import random
import subprocess

import pytest
from cryptography import x509
from evidence_samples import SampleRun

from landingzone.cli import main
from landingzone.evidence import render_evidence, write_evidence
from landingzone.evidence.manifest import MANIFEST, SIGNATURE_FILE, write_manifest
from landingzone.evidence.signature import EvidenceSigner, check_signature, sign_manifest
from landingzone.evidence.verify import signature_verdict, verify_run
from landingzone.fleet_evidence_key import FleetEvidenceKey
from landingzone.fleet_pki import FleetCA
from landingzone.pki import issue_certificate, new_ca

PASSWORD = "fleet vault password"
EVIDENCE_FILES = ("results.json", "junit.xml", "report.html", MANIFEST, SIGNATURE_FILE)


def make_fleet(path):
    FleetCA(path).init("gemtest fleet CA", PASSWORD)
    FleetEvidenceKey(path).issue(PASSWORD)
    return path


@pytest.fixture
def fleet(tmp_path):
    return make_fleet(tmp_path / "fleet")


@pytest.fixture
def ca(fleet):
    return x509.load_pem_x509_certificate((fleet / "pki" / "ca.crt").read_bytes())


@pytest.fixture
def signer(fleet):
    return FleetEvidenceKey(fleet).signer(PASSWORD)


@pytest.fixture
def run_dir(fleet, signer):
    sample = SampleRun()
    run_dir = fleet / "evidence" / "gemtest" / sample.ident
    write_evidence(run_dir, sample.run(), sample.results(), signer)
    return run_dir


def failing(verification) -> dict[str, list[str]]:
    return {v.check: v.problems for v in verification.verdicts if not v.passed}


def flip(path, position: int) -> bytes:
    data = path.read_bytes()
    path.write_bytes(data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :])
    return data


def test_a_signed_run_verifies_with_the_ca_certificate_alone(run_dir, ca):
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(EVIDENCE_FILES)
    verification = verify_run(run_dir, ca)
    assert verification.verified, failing(verification)
    signature = verification.verdicts[0]
    assert "CN=landingzone evidence signing" in signature.detail and "CN=gemtest fleet CA" in signature.detail


def test_openssl_agrees_with_the_verifier(run_dir, fleet):
    def openssl_verify():
        return subprocess.run(
            ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", SIGNATURE_FILE, "-content", MANIFEST]
            + ["-CAfile", str(fleet / "pki" / "ca.crt"), "-purpose", "any", "-out", "/dev/null"],
            cwd=run_dir,
            capture_output=True,
            text=True,
            check=False,
        )

    assert openssl_verify().returncode == 0, openssl_verify().stderr
    flip(run_dir / MANIFEST, 10)
    assert openssl_verify().returncode != 0


@pytest.mark.parametrize("name", [n for n in EVIDENCE_FILES if n != SIGNATURE_FILE])
def test_one_byte_changed_anywhere_fails_and_names_the_file(run_dir, ca, name):
    path = run_dir / name
    size = path.stat().st_size
    positions = sorted({0, size // 2, size - 1, *random.Random(name).sample(range(size), 12)})
    for position in positions:
        original = flip(path, position)
        verification = verify_run(run_dir, ca)
        named = {file for problems in failing(verification).values() for file in problems}
        assert not verification.verified and name in named, (position, failing(verification))
        path.write_bytes(original)
    assert verify_run(run_dir, ca).verified


def test_every_byte_of_the_signature_matters(run_dir, ca):
    path = run_dir / SIGNATURE_FILE
    for position in range(path.stat().st_size):
        original = flip(path, position)
        verdict = signature_verdict(run_dir, ca)
        assert not verdict.passed and SIGNATURE_FILE in verdict.problems, position
        path.write_bytes(original)
    assert signature_verdict(run_dir, ca).passed


def test_a_file_added_removed_or_linked_is_named(run_dir, ca):
    (run_dir / "extra.html").write_text("<p>all green</p>")
    (run_dir / "junit.xml").unlink()
    (run_dir / "link").symlink_to(run_dir / "report.html")
    problems = failing(verify_run(run_dir, ca))["files"]
    assert set(problems) == {"extra.html", "junit.xml", "link"}


def resign(run_dir, signer: EvidenceSigner) -> None:
    write_manifest(run_dir)
    sign_manifest(run_dir, signer)


def test_a_manifest_re_signed_with_another_fleets_key_fails(run_dir, ca, tmp_path):
    other = make_fleet(tmp_path / "other-fleet")
    (run_dir / "report.html").write_text("<p>all green</p>")
    resign(run_dir, FleetEvidenceKey(other).signer(PASSWORD))
    verdict = signature_verdict(run_dir, ca)
    assert not verdict.passed and "not issued by the trusted CA" in verdict.detail


def test_a_hosts_tls_key_from_the_same_ca_cannot_sign_evidence(run_dir, ca, fleet):
    # A compromised backup server holds a key the fleet CA issued: it must not be able to sign evidence.
    cert_path, _ = FleetCA(fleet).issue("backup1.gemtest.be", "backup", [], PASSWORD)
    ca_cert, ca_key = FleetCA(fleet)._signing_material(PASSWORD)
    cert, key = issue_certificate(ca_cert, ca_key, "backup1.gemtest.be", ["backup1.gemtest.be"])
    resign(run_dir, EvidenceSigner(cert, key))
    verdict = signature_verdict(run_dir, ca)
    assert not verdict.passed and "not an evidence-signing certificate" in verdict.detail


def test_a_self_made_ca_with_the_same_name_fails(run_dir, ca, fleet):
    from landingzone.fleet_evidence_key import evidence_certificate

    forged_ca, forged_key = new_ca("gemtest fleet CA")
    cert, key = evidence_certificate(forged_ca, forged_key, datetime.datetime.now(datetime.UTC))
    resign(run_dir, EvidenceSigner(cert, key))
    assert "not issued by the trusted CA" in signature_verdict(run_dir, ca).detail


def test_a_key_holder_who_edits_the_report_is_caught_by_the_rendering_check(run_dir, ca, signer):
    report = run_dir / "report.html"
    report.write_text(report.read_text().replace("Failing controls", "Controls"))
    resign(run_dir, signer)
    assert failing(verify_run(run_dir, ca)) == {"rendering": ["report.html"]}


def test_results_that_break_their_schema_fail_the_schema_check(run_dir, ca, signer):
    results = run_dir / "results.json"
    document = json.loads(results.read_text())
    document["results"][0]["status"] = "compliant"
    results.write_text(json.dumps(document))
    resign(run_dir, signer)
    verdicts = failing(verify_run(run_dir, ca))
    assert verdicts["schema"] == ["results.json"] and "rendering" in verdicts and "signature" not in verdicts


def test_an_unsigned_run_does_not_verify(tmp_path, ca):
    sample = SampleRun()
    write_evidence(tmp_path / "run", sample.run(), sample.results())
    verdicts = failing(verify_run(tmp_path / "run", ca))
    assert verdicts == {"signature": [SIGNATURE_FILE]}


def test_renewing_the_key_keeps_old_runs_verifying(run_dir, ca, fleet):
    before = check_signature(run_dir, ca)
    FleetEvidenceKey(fleet).issue(PASSWORD, renew=True)
    sample = SampleRun(ident="20261129T100000Z-audit")
    later = fleet / "evidence" / "gemtest" / sample.ident
    write_evidence(later, sample.run(), sample.results(), FleetEvidenceKey(fleet).signer(PASSWORD))
    assert verify_run(run_dir, ca).verified and verify_run(later, ca).verified
    assert check_signature(later, ca).serial != before.serial


def test_an_expired_key_stops_the_command_and_its_signatures_do_not_verify(tmp_path, ca, fleet, run_dir):
    from landingzone.errors import LandingzoneError

    key = FleetEvidenceKey(fleet)
    key.issue(PASSWORD, renew=True, now=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=800))
    with pytest.raises(LandingzoneError, match="expired on .*landingzone pki evidence-key --renew"):
        key.signer(PASSWORD)
    # Signed anyway with the expired pair: the signing time is outside the certificate's validity.
    signer = key.signer(PASSWORD, now=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=700))
    resign(run_dir, signer)
    assert "outside the signer's certificate's validity" in signature_verdict(run_dir, ca).detail


def test_rendering_a_signed_run_again_needs_the_key_and_signs_it_again(run_dir, ca, signer):
    from landingzone.errors import LandingzoneError

    before = (run_dir / SIGNATURE_FILE).read_bytes()
    with pytest.raises(LandingzoneError, match="the run is signed"):
        render_evidence(run_dir)
    assert (run_dir / SIGNATURE_FILE).read_bytes() == before
    render_evidence(run_dir, signer)
    assert (run_dir / SIGNATURE_FILE).read_bytes() != before and verify_run(run_dir, ca).verified


def test_verify_command_exit_codes_and_output(run_dir, fleet, capsys):
    assert main(["--fleet", str(fleet), "evidence", "verify", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "VERIFIED" in out and "1 of 1 runs verified" in out
    for check in ("signature", "files", "schema", "rendering"):
        assert f"  {check}" in out

    # By ident, through the fleet; and a whole tree of runs.
    assert main(["--fleet", str(fleet), "evidence", "verify", run_dir.name, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"][0]["verified"] is True

    flip(run_dir / "results.json", 100)
    assert main(["evidence", "verify", str(fleet / "evidence"), "--ca", str(fleet / "pki" / "ca.crt")]) == 1
    out = capsys.readouterr().out
    assert "NOT VERIFIED" in out and "results.json: differs from its checksum" in out

    # Bad input: exit 2, naming what is wrong, before anything is checked.
    assert main(["evidence", "verify", str(run_dir), "--ca", str(run_dir / "missing.crt")]) == 2
    assert "missing.crt: --ca" in capsys.readouterr().err
    assert main(["--fleet", str(fleet), "evidence", "verify", "20990101T000000Z-audit"]) == 2
    assert "neither a run directory nor a run" in capsys.readouterr().err


def test_the_fleet_index_lists_every_runs_signature_state(run_dir, fleet):
    from landingzone.evidence import fleet_index
    from landingzone.evidence.fleet import run_signatures

    unsigned = SampleRun(ident="20261127T100000Z-audit")
    write_evidence(fleet / "evidence" / "gemtest" / unsigned.ident, unsigned.run(), unsigned.results())
    tampered = SampleRun(ident="20261126T100000Z-apply", kind="apply")
    tampered_dir = fleet / "evidence" / "othertown" / tampered.ident
    write_evidence(tampered_dir, tampered.run(), tampered.results(), FleetEvidenceKey(fleet).signer(PASSWORD))
    flip(tampered_dir / "junit.xml", 50)

    states = {ident: state for _, ident, state in run_signatures(fleet / "evidence")}
    assert {ident: state.state for ident, state in states.items()} == {
        run_dir.name: "signed",
        unsigned.ident: "unsigned",
        tampered.ident: "broken",
    }
    assert "junit.xml: differs" in states[tampered.ident].detail
    html = fleet_index(fleet / "evidence").read_text()
    assert "Runs and their signatures (1 broken)" in html
    assert html.count('class="run-signature"') == 3


def test_pki_evidence_key_command(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD", raising=False)
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD_FILE", raising=False)
    fleet = tmp_path / "fleet"
    password_file = tmp_path / "vault-password"
    password_file.write_text(PASSWORD + "\n")
    base = ["--fleet", str(fleet), "--vault-password-file", str(password_file), "pki"]
    assert main([*base, "init"]) == 0
    assert main([*base, "evidence-key"]) == 0
    key = FleetEvidenceKey(fleet)
    first = key.cert_path.read_bytes()
    assert "PRIVATE KEY" not in key.key_path.read_text() and key.key_path.read_text().startswith("$ANSIBLE_VAULT")
    assert main([*base, "evidence-key"]) == 2 and "give --renew" in capsys.readouterr().err
    assert main([*base, "evidence-key", "--renew"]) == 0 and key.cert_path.read_bytes() != first
    assert main(["--fleet", str(fleet), "pki", "evidence-key", "--renew"]) == 2
    assert "--vault-password-file" in capsys.readouterr().err
