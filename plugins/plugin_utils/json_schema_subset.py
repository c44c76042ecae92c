"""A JSON Schema (2020-12) validator for the few keywords the collection's schemas use.

The collection runs where only ansible-core and its dependencies are installed (a Galaxy
install, an execution environment), and the ``jsonschema`` package is not one of them. The
supplier contract's schema needs little of JSON Schema, so this module checks that little
itself. A schema that uses any other keyword is refused outright rather than half checked.

It yields every problem as (path, keyword, message): the path is a tuple of keys and
indexes, the keyword is the rule broken, and the message says what is wrong in words an
operator understands; a caller may word its own schema's anyOf and oneOf better. ``uniqueKeys`` is ours: no two
entries of an array share the values of all the listed keys (a port and protocol once).
"""

from __future__ import annotations

import functools
import ipaddress
import re

# Keywords that describe, and so check nothing.
ANNOTATIONS = frozenset(("$schema", "$id", "title", "description", "default"))
TYPES = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    # JSON has no booleans among its numbers; Python's bool is an int.
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
}
FORMAT_DESCRIPTIONS = {"cidr": "a network in CIDR notation, e.g. 10.1.2.0/24"}


class SchemaUnsupported(ValueError):
    """The schema uses a keyword this validator does not check."""


def cidr_problem(value):
    """Why `value` is not a network in CIDR notation, or None when it is one."""
    if "/" not in value:
        return "the prefix length is missing (e.g. /24)"
    if "%" in value:
        # Python's ipaddress takes anything after % as an IPv6 zone, newlines and $(...) included.
        return "a zone (%...) has no place in a network"
    try:
        # strict: 10.1.2.3/24 is a typo for a host or a network, and a firewall must not guess which
        ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        return str(exc)
    return None


FORMATS = {"cidr": cidr_problem}


@functools.cache
def compile_pattern(rule):
    """A schema's ``pattern`` as a Python regex with JSON Schema's meaning.

    ECMA-262's `$` (the dialect of JSON Schema) is the end of the text; Python's also
    matches before a final newline, which would let "name\\n" through. Every pattern of
    the collection's and the CLI's schemas is anchored at both ends, so only a final `$`
    needs translating."""
    return re.compile(rule[:-1] + r"\Z" if rule.endswith("$") and not rule.endswith("\\$") else rule)


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def field_name(path) -> str:
    """A place in a document as messages write it: ``waivers[0].control``. A key the document
    invented is quoted and escaped: a newline in it must not start a line of its own in the
    error output, looking like another problem."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif not _PLAIN_KEY.fullmatch(str(step)):
            text += f"[{str(step)!r}]"
        else:
            text += f".{step}" if text else str(step)
    return text or "(top level)"


def _equal(first, second):
    # 1 == True in Python, never in JSON.
    return type(first) is type(second) and first == second


def is_valid(schema, instance):
    return next(iter_problems(schema, instance), None) is None


def iter_problems(schema, instance, path=()):
    """Every (path, keyword, message) where `instance` breaks `schema`."""
    unknown = set(schema) - ANNOTATIONS - set(_CHECKS)
    if unknown:
        raise SchemaUnsupported(f"schema keywords not supported here: {', '.join(sorted(unknown))}")
    for keyword, rule in schema.items():
        if keyword in _CHECKS:
            for problem in _CHECKS[keyword](rule, instance, path, schema):
                # Problems of nested schemas come with their keyword already.
                yield problem if len(problem) == 3 else (problem[0], keyword, problem[1])


def _type(rule, value, path, schema):
    if not TYPES[rule](value):
        yield path, f"{shown(value)} is not of type '{rule}'"


def _const(rule, value, path, schema):
    if not _equal(rule, value):
        yield path, f"must be {rule!r}; got {value!r}"


def _enum(rule, value, path, schema):
    if not any(_equal(option, value) for option in rule):
        yield path, f"must be one of {', '.join(map(str, rule))}; got {value!r}"


def _pattern_check(rule, value, path, schema):
    if isinstance(value, str) and not compile_pattern(rule).search(value):
        yield path, f"{shown(value)} is not valid: {schema.get('description') or 'it must match ' + rule}"


def _min_length(rule, value, path, schema):
    if isinstance(value, str) and len(value) < rule:
        yield path, "must not be empty" if rule == 1 else f"must be at least {rule} characters"


def _max_length(rule, value, path, schema):
    if isinstance(value, str) and len(value) > rule:
        yield path, f"must be at most {rule} characters"


def _minimum(rule, value, path, schema):
    if TYPES["integer"](value) and value < rule:
        yield path, f"{value!r} is less than the minimum of {rule}"


def _maximum(rule, value, path, schema):
    if TYPES["integer"](value) and value > rule:
        yield path, f"{value!r} is greater than the maximum of {rule}"


def _format(rule, value, path, schema):
    if rule not in FORMATS:
        raise SchemaUnsupported(f"format {rule!r} is not supported here")
    reason = FORMATS[rule](value) if isinstance(value, str) else None
    if reason:
        yield path, f"{shown(value)} is not {FORMAT_DESCRIPTIONS[rule]} ({reason})"


def _items(rule, value, path, schema):
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from iter_problems(rule, item, (*path, index))


def _min_items(rule, value, path, schema):
    if isinstance(value, list) and len(value) < rule:
        yield path, "must not be empty" if rule == 1 else f"must have at least {rule} entries"


def _unique_items(rule, value, path, schema):
    if rule and isinstance(value, list):
        repeated = []
        for index, item in enumerate(value):
            if any(_equal(item, earlier) for earlier in value[:index]) and item not in repeated:
                repeated.append(item)
        if repeated:
            yield path, f"lists {', '.join(map(repr, repeated))} more than once"


def _unique_keys(rule, value, path, schema):
    if not isinstance(value, list):
        return
    first_seen = {}
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not all(key in item for key in rule):
            continue
        key = tuple(repr(item[name]) for name in rule)
        if key in first_seen:
            shown = "/".join(str(item[name]) for name in rule)
            yield (*path, index), f"{shown} is declared already by entry {first_seen[key]}"
        else:
            first_seen[key] = index


def _properties(rule, value, path, schema):
    if isinstance(value, dict):
        for name, subschema in rule.items():
            if name in value:
                yield from iter_problems(subschema, value[name], (*path, name))


def _required(rule, value, path, schema):
    if isinstance(value, dict):
        for name in rule:
            if name not in value:
                yield (*path, name), "is required"


def _additional_properties(rule, value, path, schema):
    if rule is not False:
        raise SchemaUnsupported("additionalProperties is supported as false only")
    if isinstance(value, dict):
        known = schema.get("properties", {})
        for name in value:
            if name not in known:
                yield (*path, name), f"is not a field here; allowed: {', '.join(sorted(known))}"


def _any_of(rule, value, path, schema):
    if not any(is_valid(option, value) for option in rule):
        yield path, f"{shown(value)} is not valid under any of the given schemas"


def _one_of(rule, value, path, schema):
    matches = sum(is_valid(option, value) for option in rule)
    if matches != 1:
        yield path, f"{shown(value)} is valid under {matches} of the given schemas, not exactly one"


def meant_option(options, value):
    """The one option of a oneOf whose required keys ``value`` has, or None: what is wrong
    with the value is then inside that option, and worth saying field by field."""
    meant = [
        option
        for option in options
        if isinstance(value, dict) and option.get("required") and all(key in value for key in option["required"])
    ]
    return meant[0] if len(meant) == 1 else None


def shown(value):
    """A value as a message quotes it: escaped, and cut short (a file may hold 10 kB of text)."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} characters)"


_CHECKS = {
    "type": _type,
    "const": _const,
    "enum": _enum,
    "pattern": _pattern_check,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minimum": _minimum,
    "maximum": _maximum,
    "format": _format,
    "items": _items,
    "minItems": _min_items,
    "uniqueItems": _unique_items,
    "uniqueKeys": _unique_keys,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional_properties,
    "anyOf": _any_of,
    "oneOf": _one_of,
}
