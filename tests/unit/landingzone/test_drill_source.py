"""Where a drill restores from: the backup server by default, the offsite copy as of a time with
--from-offsite. Bad input ends the command with exit 2, naming the option or the card's field,
before any job starts."""

import datetime
from pathlib import Path

import pytest

from landingzone import cli
from landingzone.drill import drill_variables
from landingzone.drill_source import describe_source, parse_as_of, restore_source
from landingzone.errors import LandingzoneError
from landingzone.runner import job

ROOT = Path(__file__).resolve().parents[3]
CARD = Path("inventories/gent/municipality.yml")
NOW = datetime.datetime(2026, 12, 7, 6, 0, 0, tzinfo=datetime.UTC)
OFFSITE = {"enabled": True, "type": "s3", "endpoint": "https://s3.gent.example", "bucket": "gent-offsite"}
SERVICE = {"name": "website", "hosts": ["gent-app2"], "tier": 2, "rto_minutes": 1440}


def test_without_the_option_the_backup_server_is_the_source():
    assert restore_source({"landingzone_backup_offsite": OFFSITE}, False, None, CARD, NOW) == {"kind": "backup_server"}
    assert drill_variables(SERVICE, "gent-drill-website", "10.0.0.9", 1.0)["landingzone_drill"]["source"] == {
        "kind": "backup_server"
    }


def test_from_offsite_reads_the_cards_bucket_as_of_now_by_default():
    source = restore_source({"landingzone_backup_offsite": OFFSITE}, True, None, CARD, NOW)
    assert source == {
        "kind": "offsite",
        "endpoint": "https://s3.gent.example",
        "bucket": "gent-offsite",
        "region": "us-east-1",
        "as_of": "2026-12-07T06:00:00Z",
    }
    assert (
        describe_source(source)
        == "the offsite copy s3 gent-offsite at https://s3.gent.example as of 2026-12-07T06:00:00Z"
    )
    variables = drill_variables(SERVICE, "gent-drill-website", "10.0.0.9", 1.0, source)
    assert variables["landingzone_drill"]["source"] is source


def test_an_offsite_copy_switched_off_on_the_card_is_still_a_source():
    # The card may keep the target with enabled: false; what is in the bucket can still be restored.
    off = {**OFFSITE, "enabled": False, "region": "eu-west-1"}
    source = restore_source({"landingzone_backup_offsite": off}, True, None, CARD, NOW)
    assert source["bucket"] == "gent-offsite" and source["region"] == "eu-west-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T06:00:00+01:00", "2026-11-20T05:00:00Z"),
        ("2026-11-20T05:00:00Z", "2026-11-20T05:00:00Z"),
        ("2026-11-20 05:00:00.900+00:00", "2026-11-20T05:00:00Z"),
    ],
)
def test_as_of_takes_an_iso_time_with_its_zone_and_says_it_in_utc(text, expected):
    assert parse_as_of(text, NOW).strftime("%Y-%m-%dT%H:%M:%SZ") == expected
    source = restore_source({"landingzone_backup_offsite": OFFSITE}, True, text, CARD, NOW)
    assert source["as_of"] == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("yesterday", "is not an ISO 8601 time"),
        ("2026-13-01T00:00:00Z", "is not an ISO 8601 time"),
        ("", "is not an ISO 8601 time"),
        ("2026-11-20T06:00:00", "has no time zone"),
        ("2026-12-07T06:00:01Z", "is in the future"),
        ("2026-11-20T06:00:00Z; rm -rf /", "is not an ISO 8601 time"),
    ],
)
def test_a_bad_as_of_is_refused_naming_the_option(text, problem):
    with pytest.raises(LandingzoneError) as error:
        restore_source({"landingzone_backup_offsite": OFFSITE}, True, text, CARD, NOW)
    assert str(error.value).startswith(f"--as-of: {text!r} {problem}")
    assert error.value.exit_code == 2


def test_as_of_without_from_offsite_is_refused():
    with pytest.raises(LandingzoneError, match=r"^--as-of: .*give it with --from-offsite") as error:
        restore_source({"landingzone_backup_offsite": OFFSITE}, False, "2026-11-20T05:00:00Z", CARD, NOW)
    assert error.value.exit_code == 2


@pytest.mark.parametrize(
    ("offsite", "missing"),
    [
        (None, "endpoint and no bucket"),
        ({"type": "s3", "bucket": "b"}, "endpoint"),
        ({"endpoint": "http://x"}, "bucket"),
    ],
)
def test_a_card_without_an_offsite_target_names_the_field(offsite, missing):
    with pytest.raises(LandingzoneError) as error:
        restore_source({"landingzone_backup_offsite": offsite} if offsite else {}, True, None, CARD, NOW)
    assert str(error.value) == (
        f"{CARD}: backup.offsite: --from-offsite restores from the card's offsite copy, which names no {missing}"
    )
    assert error.value.exit_code == 2


@pytest.fixture
def no_jobs(monkeypatch):
    monkeypatch.setattr(job, "Runner", lambda *a, **k: pytest.fail("a runner job started"))
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD", raising=False)
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD_FILE", raising=False)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--from-offsite", "--as-of", "last tuesday"], "--as-of: 'last tuesday' is not an ISO 8601 time"),
        (["--from-offsite", "--as-of", "2026-11-20T06:00"], "--as-of: '2026-11-20T06:00' has no time zone"),
        (["--as-of", "2026-11-20T06:00:00Z"], "--as-of: reads the offsite copy as of a time"),
    ],
)
def test_the_cli_stops_with_exit_2_before_any_host_is_touched(no_jobs, capsys, options, message):
    argv = ["--fleet", str(ROOT / "inventories"), "drill", "demo", "--service", "citizen-portal", *options]
    code = cli.main([*argv, "--vault-password-file", str(ROOT / "lab" / "demo-vault-password")])
    assert code == 2
    assert message in capsys.readouterr().err
