"""No secret survives into any evidence file, wherever it was in the results."""

import json

from landingzone.evidence import REDACTED, redact, write_evidence

SECRET = "Sup3r-Geheim-Wachtw00rd!"
NESTED_SECRET = "nested-value-under-a-password-key"
PEM = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"


def test_secret_values_are_replaced_everywhere_in_nested_data():
    data = {"a": [f"x{SECRET}y", (SECRET,)], SECRET: {"deep": [{"deeper": SECRET}]}, "n": 3}
    clean = redact(data, [SECRET])
    assert clean == {"a": [f"x{REDACTED}y", (REDACTED,)], REDACTED: {"deep": [{"deeper": REDACTED}]}, "n": 3}
    assert data["a"][0] == f"x{SECRET}y"  # the input is left as it was


def test_values_under_secret_sounding_keys_are_replaced():
    data = {"Password": "a", "db_password_hash": "$y$j9T$abc", "api_token": "t", "private_key": "k", "ok": "visible"}
    data["nested"] = {"client_secret": {"any": "shape"}, "empty_password": ""}
    clean = redact(data, [])
    assert clean["ok"] == "visible"
    assert all(clean[key] == REDACTED for key in ("Password", "db_password_hash", "api_token", "private_key"))
    assert clean["nested"]["client_secret"] == REDACTED
    assert clean["nested"]["empty_password"] == ""  # nothing to hide, and the emptiness is itself evidence


def test_each_line_of_a_multi_line_secret_is_redacted_on_its_own():
    diff = {"before": "", "after": PEM.replace("\n", "\r\n")}
    clean = redact(diff, [PEM])
    assert "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg" not in clean["after"]


def test_empty_secrets_change_nothing():
    assert redact({"a": "text"}, ["", None]) == {"a": "text"}


def test_no_evidence_file_contains_a_secret(tmp_path, sample):
    sample.secrets = [SECRET, PEM]
    results = sample.results()
    failing = next(r for r in results if r["status"] == "fail")
    failing["reason"] = f"the break-glass hash {SECRET} is not the expected one"
    failing["evidence"] = {"found": SECRET, "expected": "hidden", "db": {"password": NESTED_SECRET}}
    fixed = next(r for r in results if r["status"] == "fixed")
    fixed["diff"] = [{"path": "/etc/ssl/private/x.key", "before": "", "after": PEM}]
    fixed["title"] = f"title with {SECRET}"
    run = sample.run()
    run["hosts"]["gem-backup1"]["message"] = f"auth failed for password {SECRET}"

    files = write_evidence(tmp_path / "run", run, results)

    written = list((tmp_path / "run").iterdir())
    assert {path.name for path in written} == {"results.json", "junit.xml", "report.html", "manifest.sha256"}
    needles = [SECRET, NESTED_SECRET, "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg"]
    for path in written:
        content = path.read_bytes()
        for needle in needles:
            assert needle.encode() not in content, f"{needle!r} leaked into {path.name}"
    # The report escapes "!" nowhere, but check the HTML-escaped and JSON-escaped forms anyway.
    assert b"Sup3r-Geheim" not in files["report"].read_bytes()
    assert b'"secrets"' not in files["results"].read_bytes()
    assert REDACTED.encode() in files["results"].read_bytes()


def test_a_catalog_file_named_like_a_secret_keeps_its_hash(tmp_path, sample):
    run = sample.run()
    path = "roles/windows_baseline/controls/credentials.yml"
    run["catalog_hashes"] = {path: "a" * 64}
    files = write_evidence(tmp_path / "run", run, sample.results())
    document = json.loads(files["results"].read_text())
    assert document["run"]["catalog_hashes"] == {path: "a" * 64}
    # A field of that name is still hidden.
    assert redact({"credentials": "x1", "db_password": "x2"}, []) == {"credentials": REDACTED, "db_password": REDACTED}
