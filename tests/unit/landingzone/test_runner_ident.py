"""The run ident: NIS code, UTC start time, random suffix."""

import datetime

import pytest

from landingzone.runner.ident import IDENT_PATTERN, is_ident, new_ident


def test_ident_has_the_nis_code_the_utc_time_and_six_random_characters():
    brussels = datetime.timezone(datetime.timedelta(hours=1))
    ident = new_ident("44021", datetime.datetime(2026, 3, 2, 9, 30, 5, tzinfo=brussels))
    match = IDENT_PATTERN.match(ident)
    assert match is not None, ident
    assert match["nis"] == "44021"
    assert match["started"] == "20260302T083005Z"  # converted to UTC
    assert len(match["suffix"]) == 6


def test_idents_started_in_the_same_second_differ():
    moment = datetime.datetime(2026, 3, 2, 8, 0, 0, tzinfo=datetime.UTC)
    assert len({new_ident("44021", moment) for _ in range(200)}) == 200


@pytest.mark.parametrize("nis", ["4402", "440211", "4402a", ""])
def test_a_nis_code_that_is_not_five_digits_is_refused(nis):
    with pytest.raises(ValueError):
        new_ident(nis)


def test_is_ident_rejects_other_directory_names():
    assert is_ident("44021-20260302T083005Z-a1b2c3")
    assert not is_ident("44021-20260302T083005Z-A1B2C3")
    assert not is_ident("latest")
    assert not is_ident("44021-20260302T083005Z-a1b2c3/../x")
