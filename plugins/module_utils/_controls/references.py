"""The references a control cites, checked against the lists of ids that exist.

Each list (references/<list>.yml at the root of the collection) holds the ids of one source,
taken from a named file of a public repository (tools/reference_lists.py). A catalog field
cites one source: an id that is not in its list is a catalog error, reported before any host
is touched, so that no report ever shows a reference an auditor cannot look up.

CyFun has two editions: each control states its level and its requirement ids in both, and a
municipality's card says which edition its target level belongs to.
"""

from __future__ import annotations

import os
from functools import cache

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.errors import ControlError

# Edition: (the control's level field, the field of its requirement ids). Cards without an
# edition were written against 2023, the only edition before 2025.
EDITIONS = {2023: ("level", "cyfun"), 2025: ("level_2025", "cyfun_2025")}
LEVEL_FIELDS = tuple(fields[0] for fields in EDITIONS.values())
DEFAULT_EDITION = 2023
# Field: the list its ids must be in, per catalog. `cis` is the benchmark of each platform.
LINUX_FIELDS = {
    "cyfun": "cyfun-2023",
    "cyfun_2025": "cyfun-2025",
    "cis": "cis-debian-12",
    "cis_debian13": "cis-debian-13",
    "anssi": "anssi-bp-028",
}
WINDOWS_FIELDS = {"cyfun": "cyfun-2023", "cyfun_2025": "cyfun-2025", "cis": "cis-windows-11"}
# Fields every control has (possibly empty for a benchmark without that setting); the others are optional.
REQUIRED_FIELDS = ("cyfun", "cyfun_2025", "cis")
# Which fields must not be empty: a control serves at least one requirement of each edition.
NON_EMPTY_FIELDS = ("cyfun", "cyfun_2025")
REFERENCES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "references")


class ReferenceIdError(ControlError):
    """A reference that is malformed or not in its list; the message names control, field and id."""


@cache
def reference_list(name, directory=REFERENCES_DIR):
    """{id: entry} of references/<name>.yml, read once per process."""
    import yaml  # local: the engine's module on the host never needs it

    path = os.path.normpath(os.path.join(directory, f"{name}.yml"))
    with open(path, encoding="utf-8") as handle:
        # libyaml's loader where it is built in: the lists are a few thousand lines, read per process.
        data = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(data, dict) or not isinstance(data.get("ids"), dict) or not data["ids"]:
        raise ReferenceIdError(f"{path}: a reference list is a mapping with a non-empty ids mapping")
    return {str(ref_id): entry for ref_id, entry in data["ids"].items()}


def check_references(control_id, control, fields, directory=REFERENCES_DIR):
    """Raise ReferenceIdError unless every reference field of ``control`` is a list of ids of its source."""
    for field in REQUIRED_FIELDS:
        if field not in control:
            raise ReferenceIdError(f"control {control_id}: {field}: is required")
    for field, name in fields.items():
        if field not in control:
            continue
        values = control[field]
        if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
            raise ReferenceIdError(f"control {control_id}: {field}: must be a list of ids, got {values!r}")
        if not values and field in NON_EMPTY_FIELDS:
            raise ReferenceIdError(f"control {control_id}: {field}: needs at least one requirement id")
        known = reference_list(name, directory)
        for value in values:
            if not isinstance(value, str) or value not in known:
                raise ReferenceIdError(
                    f"control {control_id}: {field}: {value!r} is not an id of {name} "
                    f"(references/{name}.yml lists every id that exists)"
                )
        if len(set(values)) != len(values):
            raise ReferenceIdError(f"control {control_id}: {field}: lists an id more than once")


def edition_of(value):
    """The CyFun edition as an int, from a card, a role variable or a task argument."""
    try:
        edition = int(str(value).strip())
    except ValueError:
        edition = None
    if edition not in EDITIONS:
        raise ReferenceIdError(f"cyfun edition: must be one of {', '.join(map(str, EDITIONS))}, got {value!r}")
    return edition


def level_in(control, edition):
    """The control's level in the given edition."""
    return control[EDITIONS[edition][0]]
