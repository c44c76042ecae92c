"""The `format` values our JSON Schemas use, checked the way the landing zone needs them.

jsonschema checks `date-time` and `hostname` only when optional packages are installed, and
knows nothing of CIDR networks. Each check here raises ValueError with the reason, which
the error messages pass on to the operator.
"""

import datetime
import ipaddress
import re

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.json_schema_subset import (
    FORMAT_DESCRIPTIONS,
    cidr_problem,
)
from jsonschema import FormatChecker

FORMAT_CHECKER = FormatChecker(formats=())

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# RFC 3339 with an explicit offset: an expiry without a time zone means different moments
# to the operator and to the gateway.
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")
_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

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
    if not _DATE.match(value):
        raise ValueError("expected YYYY-MM-DD")
    datetime.date.fromisoformat(value)
    return True


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
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
    try:
        ipaddress.ip_address(value)
        return True
    except ValueError:
        pass
    name = value[:-1] if value.endswith(".") else value
    if not name or len(name) > 253 or not all(_HOST_LABEL.match(label) for label in name.split(".")):
        raise ValueError("letters, digits and hyphens in dot-separated labels")
    return True


@FORMAT_CHECKER.checks("email", raises=ValueError)
def is_email(value: object) -> bool:
    if isinstance(value, str) and not _EMAIL.match(value):
        raise ValueError("expected name@domain")
    return True
