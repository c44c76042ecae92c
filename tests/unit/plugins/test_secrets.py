"""Secret-bearing files show up by mode, owner and checksum only; hashes never leave the host."""

from __future__ import annotations

import json

from engine_harness import TODAY, control, run

HASHES = ("$y$j9T$rootsalt$roothash", "$y$j9T$opsalt$opshash", "$y$j9T$bgsalt$NEWHASH", "PRIVATE KEY MATERIAL")


def assert_no_secret(report):
    text = json.dumps(report)
    for secret in HASHES:
        assert secret not in text, f"{secret} leaked into the report"


def test_shadow_edits_show_checksums_not_content(system):
    for check_mode in (True, False):
        report, _ = run(
            system, [control("account_policy", {"rule": "inactive_lock", "value": 45})], check_mode=check_mode
        )
        assert_no_secret(report)
        change = report["results"][0]["diff"][0]
        assert change["path"] == "/etc/shadow"
        assert change["before"].startswith("(content not shown) sha256=")
        assert report["results"][0]["evidence"]["found"]["accounts"] == ["ops"]
        assert set(report["results"][0]["evidence"]["found"]["file"]) == {"exists", "mode", "owner", "group", "sha256"}
    assert f"ops:$y$j9T$opsalt$opshash:{TODAY}:0:99999:7:45::" in system.read("/etc/shadow")


def test_local_account_compares_hash_without_showing_it(system):
    system.write("/etc/shadow", system.read("/etc/shadow") + "breakglass:$y$j9T$bgsalt$OLDHASH:19000:0:99999:7:::\n")
    system.write("/etc/passwd", system.read("/etc/passwd") + "breakglass:x:1001:1001::/home/breakglass:/bin/bash\n")
    params = {"name": "breakglass", "password_hash": "$y$j9T$bgsalt$NEWHASH", "shell": "/bin/bash"}

    report, _ = run(system, [control("local_account", params)])

    assert_no_secret(report)
    assert report["results"][0]["status"] == "fixed"
    assert report["results"][0]["evidence"]["found"]["password"] == "differs from the configured hash"
    assert ["chpasswd", "--prefix", str(system.root), "--encrypted"] in system.calls
    assert not any("NEWHASH" in arg for argv in system.calls for arg in argv), "hash must go through stdin"
    assert "breakglass:$y$j9T$bgsalt$NEWHASH\n" in system.stdin


def test_private_key_content_never_in_evidence_or_diff(system):
    params = {"path": "/etc/ssl/private/syslog.key", "content": "PRIVATE KEY MATERIAL\n", "mode": "0600"}
    system.write("/etc/ssl/private/syslog.key", "old PRIVATE KEY MATERIAL\n", 0o600)

    for check_mode in (True, False):
        report, _ = run(system, [control("file_content", params)], check_mode=check_mode)
        assert_no_secret(report)
        assert "content" not in report["results"][0]["evidence"]["expected"]
    assert system.read("/etc/ssl/private/syslog.key") == "PRIVATE KEY MATERIAL\n"


def test_secret_schema_errors_do_not_echo_the_value():
    import pytest
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
        ControlError,
        validate_control,
    )

    with pytest.raises(ControlError) as caught:
        validate_control(control("local_account", {"name": "bg", "password_hash": ["PRIVATE KEY MATERIAL"]}))
    assert "PRIVATE KEY MATERIAL" not in str(caught.value)
    assert "params.password_hash" in str(caught.value)
