"""The `format` values our JSON Schemas use, checked the way the landing zone needs them.

jsonschema checks `date-time` and `hostname` only when optional packages are installed, and
knows nothing of CIDR networks. Each check here raises ValueError with the reason, which
the error messages pass on to the operator.
"""

import datetime
import re

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.host_word import host_word
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.json_schema_subset import (
    FORMAT_DESCRIPTIONS,
    cidr_problem,
)
from jsonschema import FormatChecker

FORMAT_CHECKER = FormatChecker(formats=())

# Each is matched against the whole value (fullmatch): `$` would also match before a final newline.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339 with an explicit offset: an expiry without a time zone means different moments
# to the operator and to the gateway.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")
# An address a person or a mail server reads; the local part without quotes, spaces or shell syntax.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}")

DESCRIPTIONS = {
    "date": "a date YYYY-MM-DD",
    "date-time": "a date and time with its offset, e.g. 2026-06-30T17:00:00+02:00",
    "cidr": FORMAT_DESCRIPTIONS["cidr"],
    "hostname": "a host name or an IP address",
    "email": "an e-mail address",
}


@FORMAT_CHECKER.checks("date", raises=ValueError)
def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE.fullmatch(value):
        raise ValueError("expected YYYY-MM-DD")
    datetime.date.fromisoformat(value)
    return True


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        raise ValueError("expected YYYY-MM-DDTHH:MM:SS with Z or an offset such as +02:00")
    datetime.datetime.fromisoformat(value)
    return True


@FORMAT_CHECKER.checks("cidr", raises=ValueError)
def is_cidr(value: object) -> bool:
    if not isinstance(value, str):
        return True
    # One check for the card and the supplier contract: the collection's.
    problem = cidr_problem(value)
    if problem:
        raise ValueError(problem)
    return True


@FORMAT_CHECKER.checks("hostname", raises=ValueError)
def is_hostname(value: object) -> bool:
    if not isinstance(value, str):
        return True
    # One check for the card and for the files a host name is written into: the collection's.
    try:
        host_word(value)
    except ValueError:
        raise ValueError("letters, digits and hyphens in dot-separated labels") from None
    return True


@FORMAT_CHECKER.checks("email", raises=ValueError)
def is_email(value: object) -> bool:
    if isinstance(value, str) and not _EMAIL.fullmatch(value):
        raise ValueError("expected name@domain")
    return True
