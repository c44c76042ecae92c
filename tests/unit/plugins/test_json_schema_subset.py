"""The collection's small JSON Schema validator agrees with the jsonschema package on the
supplier contract's schema, refuses keywords it does not check, and reads `$` as JSON
Schema does (the end of the text, not before a final newline)."""

import copy
import itertools

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.json_schema_subset import (
    SchemaUnsupported,
    iter_problems,
)
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.supplier_contract import (
    ContractError,
    contract_schema,
    validate,
)
from jsonschema import Draft202012Validator

from landingzone.jsonschema_formats import FORMAT_CHECKER

GOOD = {
    "contract_version": 1,
    "role": "example_app",
    "description": "An example.",
    "ports": [{"port": 443, "proto": "tcp", "sources": ["management", "10.1.0.0/16"], "purpose": "HTTPS"}],
    "backup": {"paths": ["/srv/example"], "databases": [{"engine": "postgresql", "name": "example"}]},
    "services": ["example.service"],
    "health_check": {"https": {"port": 8443, "path": "/health", "expect": "ok"}, "timeout": 10},
    "waiver_requests": [{"control": "LZ-PERM-003", "justification": "The vendor's client writes the group file."}],
}
COMMAND_CHECK = {"command": {"argv": ["/usr/bin/true"], "expect": "ok"}, "timeout": 5}
# Values of every JSON type, and the edge of each rule the schema makes.
ODD_VALUES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    65535,
    65536,
    301,
    1.5,
    "",
    "x",
    "any",
    "management",
    "10.1.2.0/24",
    "10.1.2.3/24",
    "10.1.2.3",
    "2001:db8::/32",
    "/srv/data",
    "/srv/data/",
    "//srv",
    "relative",
    "app.service",
    "app",
    "tcp",
    "sctp",
    "LZ-PERM-003",
    "A justification long enough to pass.",
    'say "hi"',
    "tab\there",
    "y" * 101,
    [],
    ["any"],
    ["any", "management"],
    ["x", "x"],
    {},
    {"port": 443},
    COMMAND_CHECK,
]


def _paths(value, path=()):
    """Every path inside a document, the document itself first."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _with(document, path, value):
    if not path:
        return copy.deepcopy(value)
    changed = copy.deepcopy(document)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def _variants():
    documents = [GOOD, _with(GOOD, ("health_check",), COMMAND_CHECK)]
    for document in documents:
        for path, value in itertools.product(list(_paths(document)), ODD_VALUES):
            yield _with(document, path, value)
        for path in _paths(document):
            if path and isinstance(path[-1], str):
                parent = copy.deepcopy(document)
                target = parent
                for key in path[:-1]:
                    target = target[key]
                del target[path[-1]]
                yield parent
        yield _with(document, ("ports",), document["ports"] * 2)
        yield _with(document, ("surprise",), 1)


def _ours(document):
    # Ours names the missing or unknown field itself; jsonschema the object that holds it.
    by_field = ("required", "additionalProperties")
    return {
        (path[:-1] if keyword in by_field else path, keyword)
        for path, keyword, _ in iter_problems(contract_schema(), document)
    }


def _theirs(document):
    # jsonschema ignores our own uniqueKeys keyword; ours is compared without it below.
    validator = Draft202012Validator(contract_schema(), format_checker=FORMAT_CHECKER)
    return {(tuple(error.absolute_path), error.validator) for error in validator.iter_errors(document)}


def test_it_agrees_with_jsonschema_on_every_variant_of_a_contract():
    variants = list(_variants())
    assert len(variants) > 2000
    disagreements = []
    for document in variants:
        ours = {problem for problem in _ours(document) if problem[1] != "uniqueKeys"}
        theirs = _theirs(document)
        if ours != theirs:
            disagreements.append((document, ours ^ theirs))
    assert not disagreements, disagreements[:3]
    # The variants are not all valid or all invalid: both verdicts were compared.
    verdicts = {not _theirs(document) for document in variants}
    assert verdicts == {True, False}


def test_a_repeated_port_is_found_by_unique_keys():
    problems = list(iter_problems(contract_schema(), _with(GOOD, ("ports",), GOOD["ports"] * 2)))
    assert ((("ports", 1), "uniqueKeys", "443/tcp is declared already by entry 0")) in problems


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("role",), "example_app\n"),
        (("backup", "paths", 0), "/srv/example\n"),
        (("services", 0), "example.service\n"),
        (("waiver_requests", 0, "control"), "LZ-PERM-003\n"),
        (("backup", "databases", 0, "name"), "example\n"),
        (("health_check", "https", "path"), "/health\n"),
    ],
)
def test_a_trailing_newline_does_not_slip_past_a_pattern(path, value):
    # Python's `$` matches before a final newline; JSON Schema's does not. A name with a
    # newline would reach a unit name, an nft comment or a file path.
    with pytest.raises(ContractError) as caught:
        validate(_with(GOOD, path, value), "x.yml")
    # The field itself is named, or the health check whose one form it spoils.
    assert [field for field, _ in caught.value.problems] in ([_field(path)], ["health_check"])


def _field(path):
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")


def test_a_boolean_is_not_an_integer_nor_equal_to_one():
    fields = {field for field, _ in _problems(_with(GOOD, ("contract_version",), True))}
    assert "contract_version" in fields
    fields = {field for field, _ in _problems(_with(GOOD, ("ports", 0, "port"), True))}
    assert "ports[0].port" in fields


def _problems(document):
    with pytest.raises(ContractError) as caught:
        validate(document, "x.yml")
    return caught.value.problems


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "array", "maxItems": 3},
        {"properties": {"a": {"$ref": "#/x"}}},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "string", "format": "email"},
    ],
)
def test_a_keyword_it_does_not_check_is_refused_not_skipped(schema):
    with pytest.raises(SchemaUnsupported):
        list(iter_problems(schema, {"a": "abcdef"} if "properties" in schema else "abcdef"))
