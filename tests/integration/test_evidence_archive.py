"""Evidence copied to a real append-only restic REST server (rclone serve restic, on loopback, over TLS).

An operator whose workstation is compromised holds every secret the archive uses. The test
plays that operator: it forges a run, re-signs it with the stolen key, archives it again and
tries to delete the earlier snapshot. The earlier snapshot must survive and restore the
original run, which verifies, byte for byte.
"""

import base64
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from cryptography import x509
from evidence_samples import SampleRun

from landingzone.cli import main
from landingzone.evidence import write_evidence
from landingzone.evidence.manifest import write_manifest
from landingzone.evidence.signature import sign_manifest
from landingzone.evidence.verify import verify_run
from landingzone.fleet_evidence_key import FleetEvidenceKey
from landingzone.fleet_pki import FleetCA

PASSWORD = "fleet vault password"
REST_PASSWORD = "rest-password-for-evidence"
REPOSITORY_PASSWORD = "repository-password-for-evidence"

pytestmark = pytest.mark.skipif(not (shutil.which("rclone") and shutil.which("restic")), reason="needs rclone, restic")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fleet(tmp_path):
    fleet = tmp_path / "fleet"
    FleetCA(fleet).init("gemtest fleet CA", PASSWORD)
    FleetEvidenceKey(fleet).issue(PASSWORD)
    return fleet


@pytest.fixture
def rest_server(tmp_path, fleet):
    """The backup server's REST server as the backup_server role runs it: append-only, private repositories."""
    cert, key = FleetCA(fleet).issue("127.0.0.1", "backup", ["127.0.0.1"], PASSWORD)
    from landingzone.runner.vault import decrypt

    plain_key = tmp_path / "server.key"
    plain_key.write_text(decrypt(PASSWORD, key.read_text(), str(key)))
    plain_key.chmod(0o600)
    sha1 = base64.b64encode(hashlib.sha1(REST_PASSWORD.encode()).digest()).decode()
    (tmp_path / "htpasswd").write_text(f"evidence:{{SHA}}{sha1}\n")
    port = free_port()
    server = subprocess.Popen(
        ["rclone", "serve", "restic", "--addr", f"127.0.0.1:{port}", "--append-only", "--private-repos"]
        + ["--htpasswd", str(tmp_path / "htpasswd"), "--cert", str(cert), "--key", str(plain_key)]
        + [str(tmp_path / "repositories")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "RCLONE_CONFIG": str(tmp_path / "rclone.conf")},
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    try:
        yield f"rest:https://127.0.0.1:{port}/evidence/"
    finally:
        server.terminate()
        server.wait(timeout=10)


def secrets(tmp_path):
    (tmp_path / "rest-password").write_text(REST_PASSWORD + "\n")
    (tmp_path / "repository-password").write_text(REPOSITORY_PASSWORD + "\n")
    return ["--rest-user", "evidence", "--rest-password-file", str(tmp_path / "rest-password")] + [
        "--password-file",
        str(tmp_path / "repository-password"),
    ]


def restic(repository, *args, cwd=None):
    url = repository.replace("https://", f"https://evidence:{REST_PASSWORD}@")
    return subprocess.run(
        ["restic", "--no-cache", "--cacert", "pki/ca.crt", *args],
        cwd=cwd,
        env={**os.environ, "RESTIC_REPOSITORY": url, "RESTIC_PASSWORD": REPOSITORY_PASSWORD},
        capture_output=True,
        text=True,
        check=False,
    )


def rest_request(repository, fleet, method: str, path: str, body: bytes | None) -> int:
    context = ssl.create_default_context(cafile=str(fleet / "pki" / "ca.crt"))
    token = base64.b64encode(f"evidence:{REST_PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        repository.removeprefix("rest:") + path, data=body, method=method, headers={"Authorization": f"Basic {token}"}
    )
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_history_archived_before_a_compromise_survives_it(tmp_path, fleet, rest_server, capsys):
    sample = SampleRun()
    run_dir = fleet / "evidence" / "gemtest" / sample.ident
    signer = FleetEvidenceKey(fleet).signer(PASSWORD)
    write_evidence(run_dir, sample.run(), sample.results(), signer)
    original = (run_dir / "report.html").read_bytes()
    archive = ["--fleet", str(fleet), "evidence", "archive", "gemtest", "--repository", rest_server, *secrets(tmp_path)]
    assert main(archive) == 0
    first = capsys.readouterr().out.split("snapshot ")[1].split()[0]

    # The compromised workstation: hide the failures, re-sign with the stolen key, archive again.
    report = run_dir / "report.html"
    report.write_text(report.read_text().replace("Failing controls", "Controls"))
    write_manifest(run_dir)
    sign_manifest(run_dir, signer)
    assert main(archive) == 0
    capsys.readouterr()
    # What `restic forget` sends, sent directly (restic itself would retry the refusal for a minute):
    # deleting the first snapshot, or writing other bytes over it, is refused.
    listed = json.loads(restic(rest_server, "snapshots", "--json", cwd=fleet).stdout)
    first_id = next(snapshot["id"] for snapshot in listed if snapshot["short_id"] == first[:8])
    for method, body in (("DELETE", None), ("POST", b"forged")):
        assert rest_request(rest_server, fleet, method, f"snapshots/{first_id}", body) == 403, method
    assert len(json.loads(restic(rest_server, "snapshots", "--json", cwd=fleet).stdout)) == 2

    restored = tmp_path / "restored"
    result = restic(rest_server, "restore", first, "--target", str(restored), cwd=fleet)
    assert result.returncode == 0, result.stderr
    restored_run = restored / "gemtest" / sample.ident
    assert (restored_run / "report.html").read_bytes() == original
    ca = x509.load_pem_x509_certificate((fleet / "pki" / "ca.crt").read_bytes())
    assert verify_run(restored_run, ca).verified
    # The forged run is signed by the real key, but the rendering check still catches it.
    forged = {v.check for v in verify_run(run_dir, ca).verdicts if not v.passed}
    assert forged == {"rendering"}
    # No secret was printed.
    assert REST_PASSWORD not in capsys.readouterr().out


def test_bad_archive_input_is_named_before_anything_is_sent(tmp_path, fleet, capsys):
    base = ["--fleet", str(fleet), "evidence", "archive", "gemtest", *secrets(tmp_path)]
    with_credentials = "rest:https://evidence:secret@127.0.0.1:1/evidence/"
    assert main([*base, "--repository", with_credentials]) == 2
    assert "give the backup server's REST repository" in capsys.readouterr().err
    assert main([*base, "--repository", "rest:http://127.0.0.1:1/evidence/"]) == 2
    (tmp_path / "rest-password").write_text("")
    assert main([*base, "--repository", "rest:https://127.0.0.1:1/evidence/"]) == 2
    assert "--rest-password-file: is empty" in capsys.readouterr().err
