"""What checking every reference against its list costs the catalog check (a script, not a test).

Each play runs the select_controls filter once per host: it checks the whole catalog, now with
every CyFun, CIS and ANSSI id looked up in its list in references/. The reference is the same
filter, in the same process, with the reference lookup left out. Also printed: reading the lists,
which a controller process does once.

    .venv/bin/python benchmarks/reference_checks.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "collections"))

from ansible_collections.cyberveilig.landingzone.plugins.filter import controls  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import (  # noqa: E402
    catalog as shared_catalog,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import references  # noqa: E402

ROUNDS = 30


def catalog() -> dict:
    areas = {}
    for path in sorted((ROOT / "roles" / "linux_baseline" / "controls").glob("*.yml")):
        areas.update(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    return areas


def median_seconds(areas: dict) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        controls.select_controls(areas, "essential", edition=2025)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    areas = catalog()
    start = time.perf_counter()
    for name in sorted(set(references.LINUX_FIELDS.values()) | set(references.WINDOWS_FIELDS.values())):
        references.reference_list(name)
    lists = time.perf_counter() - start
    checked = median_seconds(areas)
    real = shared_catalog.check_references
    shared_catalog.check_references = lambda *args, **kwargs: None
    try:
        unchecked = median_seconds(areas)
    finally:
        shared_catalog.check_references = real
    count = sum(len(area) for area in areas.values())
    print(f"reading the reference lists, once per process: {lists * 1000:.1f} ms")
    print(f"select_controls, {count} Linux controls, median of {ROUNDS}:")
    print(f"  with every reference checked: {checked * 1000:.1f} ms")
    print(f"  without the reference lookup: {unchecked * 1000:.1f} ms (ratio {checked / unchecked:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
