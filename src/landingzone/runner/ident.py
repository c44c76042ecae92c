"""The identity of one municipality run: NIS code, UTC start time and a random suffix.

It names the run's private_data_dir and its evidence directory, so it must be
unique even when two operators start a run in the same second, and sortable by
time within a municipality.
"""

import datetime
import re
import secrets
import string

SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
SUFFIX_LENGTH = 6
IDENT_PATTERN = re.compile(r"^(?P<nis>\d{5})-(?P<started>\d{8}T\d{6}Z)-(?P<suffix>[a-z0-9]{6})$")


def new_ident(nis_code: str, now: datetime.datetime | None = None) -> str:
    if not re.fullmatch(r"\d{5}", str(nis_code)):
        raise ValueError(f"a NIS code has five digits, not {nis_code!r}")
    now = (now or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    return f"{nis_code}-{now:%Y%m%dT%H%M%SZ}-{suffix}"


def is_ident(name: str) -> bool:
    return IDENT_PATTERN.match(name) is not None
