"""Plain values inside a no_log variable that is a mapping (the workplace's first passwords and
TOTP secrets, one per person) are secrets too, so the redaction of every log and report knows them."""

import pytest

from landingzone.errors import LandingzoneError
from landingzone.runner.secret_values import secrets_of_file

NAMES = {"workplace_first_passwords", "workplace_totp_secrets"}


def test_every_value_of_a_no_log_mapping_is_a_secret_and_its_neighbours_are_not(tmp_path):
    inventory = tmp_path / "workplace.yml"
    inventory.write_text(
        "workplace_first_passwords:\n  lmertens: Plain-first-pass-2026\n  svermeulen: Another-first-2026\n"
        "workplace_totp_secrets:\n  lmertens: JBSWY3DPEHPK3PXPJBSWY3DP\n"
        "workplace_people:\n  lmertens: Lies Mertens, bevolking\n",
        encoding="utf-8",
    )
    found = secrets_of_file(inventory, None, NAMES)
    assert found == {"Plain-first-pass-2026", "Another-first-2026", "JBSWY3DPEHPK3PXPJBSWY3DP"}


def test_a_short_value_inside_a_no_log_mapping_is_refused_with_its_field(tmp_path):
    inventory = tmp_path / "workplace.yml"
    inventory.write_text("workplace_first_passwords:\n  lmertens: short\n", encoding="utf-8")
    with pytest.raises(LandingzoneError, match=r"workplace\.yml: workplace_first_passwords\.lmertens: "):
        secrets_of_file(inventory, None, NAMES)
