"""restic's failures sorted into kinds an operator can act on, and never a secret in the words."""

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._restic import (
    Restic,
    ResticError,
    classify,
    redact_location,
    summarise_stderr,
)


@pytest.mark.parametrize(
    ("rc", "stderr", "kind"),
    [
        (1, "Fatal: wrong password or no key found", "wrong_password"),
        (
            12,
            '{"message_type":"exit_error","code":12,"message":"Fatal: wrong password or no key found"}',
            "wrong_password",
        ),
        (1, "Fatal: unable to open config file: <config/> does not exist", "absent"),
        (10, "Fatal: repository does not exist: dial tcp 10.0.0.1:8443: connect: connection refused", "unreachable"),
        (1, "Fatal: unable to open config file: unexpected HTTP response (401): 401 Unauthorized", "unauthorized"),
        (
            1,
            "Save(<data/66>) returned error, retrying: unexpected HTTP response (500): 500 Internal Server Error\n"
            "Fatal: unable to save snapshot: unexpected HTTP response (403): 403 Forbidden",
            "server_error",
        ),
        (1, "Fatal: Save(<lock/x>): write /srv/restic/a/locks/x: no space left on device", "disk_full"),
        (1, "Fatal: x509: certificate signed by unknown authority", "tls"),
        (11, "Fatal: unable to create lock in backend: repository is already locked by PID 4", "locked"),
        (1, "something nobody foresaw", "error"),
    ],
)
def test_failures_are_sorted_by_what_restic_says(rc, stderr, kind):
    assert classify(rc, stderr) == kind


def test_locations_lose_their_credentials():
    assert redact_location("rest:https://app1:p%40ss@backup1:8443/app1/") == "rest:https://backup1:8443/app1/"
    assert redact_location("s3:https://s3.example/bucket/app1") == "s3:https://s3.example/bucket/app1"
    assert redact_location("/srv/restic/app1") == "/srv/restic/app1"


def test_restic_words_lose_stack_traces_and_secrets():
    stderr = (
        "Remove(<snapshot/66>) returned error, retrying after 552ms: blob not removed\n"
        "github.com/restic/restic/internal/backend/rest.(*Backend).Remove\n"
        "Fatal: unable to open rest:https://app1:hunter22@backup1:8443/app1/ with key hunter22\n"
    )
    text = summarise_stderr(stderr, ["hunter22"])
    assert "hunter22" not in text and "github.com" not in text
    assert text.startswith("Fatal: unable to open rest:https://backup1:8443/app1/")


def test_a_server_that_does_not_answer_fails_in_seconds_not_minutes():
    restic = Restic("rest:http://app1:secret-pass@127.0.0.1:1/app1/", "pw")
    with pytest.raises(ResticError) as caught:
        restic.run("snapshots")
    assert caught.value.kind == "unreachable"
    assert "127.0.0.1:1 cannot be reached" in caught.value.message
    assert "secret-pass" not in caught.value.message
