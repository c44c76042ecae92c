# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""The results schema (schema/results-v*.json beside this file): what a run's evidence holds.

The engines own the result schema, so it lives in the collection; the operator's CLI checks and
renders results.json with it, and the evidence_record action plugin checks a record's section
and verdict against it before the record leaves the controller. The sections beside the control
results, their headings and the verdicts of their records are declared in the schema alone and
read from it here; nothing else spells them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
CURRENT_VERSION = 2
# How a property of the document says it is a section: it refers to the shape of one.
SECTION_REF = "#/$defs/host_records"


@cache
def results_schema(version: int = CURRENT_VERSION) -> dict:
    return json.loads((SCHEMA_DIR / f"results-v{version}.json").read_text(encoding="utf-8"))


def section_titles(version: int = CURRENT_VERSION) -> dict[str, str]:
    """{section: its heading}, in the schema's order (the report's order)."""
    properties = results_schema(version)["properties"]
    return {name: spec.get("title", name) for name, spec in properties.items() if spec.get("$ref") == SECTION_REF}


def required_sections(version: int = CURRENT_VERSION) -> tuple[str, ...]:
    """The sections every document has, empty or not; the others appear only when a run filled them."""
    required = results_schema(version)["required"]
    return tuple(name for name in section_titles(version) if name in required)


def record_verdicts() -> tuple[str, ...]:
    return tuple(results_schema()["$defs"]["verdict"]["enum"])


def control_statuses() -> tuple[str, ...]:
    return tuple(results_schema()["$defs"]["status"]["enum"])


def result_fields(version: int = CURRENT_VERSION) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) fields of one control result, in the schema's order."""
    items = results_schema(version)["properties"]["results"]["items"]
    required = tuple(items["required"])
    return required, tuple(name for name in items["properties"] if name not in required)


SECTIONS = tuple(section_titles())
VERDICTS = record_verdicts()
