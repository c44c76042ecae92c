"""What checking the Linux catalog costs on its way to a host, before and after it is checked once
(a script, not a test).

Before, a baseline run checked the catalog three times: the select_controls filter (record fields
and references, plus catalog_ids for the waivers' known ids), the action plugin (every selected
control's params), and the module on the host (the same params again). Given the whole catalog,
the action plugin selects and checks it once; the module runs what it was given. The
linux_baseline role selects with the filter first (so that no unselected control's template is
rendered) and the action plugin checks the selection: two checks on the controller, none on the
host. The three paths run here, in turns, in the same process, on the role's own catalog at the
essential level of CyFun 2025.

    .venv/bin/python benchmarks/catalog_check.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import yaml
from jinja2.nativetypes import NativeEnvironment

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "collections"))
# The role's catalog rendered as its unit test renders it, with the role's defaults.
sys.path.insert(0, str(ROOT / "tests" / "unit" / "roles"))

from ansible_collections.cyberveilig.landingzone.plugins.action import linux_controls as action  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.filter import controls as filters  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.filter.encoders import FilterModule as EncoderFilters  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import schema  # noqa: E402
from test_linux_baseline_catalog import render, role_context  # noqa: E402

ROUNDS = 30
LEVEL, EDITION = "essential", 2025


def catalog() -> dict:
    """The role's catalog as Ansible hands it to the task: its templates rendered with the role's
    defaults, log forwarding configured so that every control renders."""
    role = ROOT / "roles" / "linux_baseline"
    context = role_context()
    env = NativeEnvironment(trim_blocks=True)
    env.filters.update({f"cyberveilig.landingzone.{name}": f for name, f in EncoderFilters().filters().items()})
    areas = {}
    for path in sorted((role / "controls").glob("*.yml")):
        areas.update(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    return render(areas, context, env)


def filter_then_plugin(areas: dict) -> dict:
    """The module's arguments as the linux_baseline role makes them: the filter selects (and lists
    the catalog's ids), the action plugin checks the selection."""
    selected = filters.select_controls(areas, LEVEL, edition=EDITION)
    known = filters.catalog_ids(areas)
    module_args, _ = action.prepare({"controls": selected, "mode": "audit"}, [], "host", known_ids=known)
    return module_args


def three_checks(areas: dict) -> int:
    """The path before: filter, catalog_ids, the action plugin's check, the module's check."""
    return len(schema.validate_controls(filter_then_plugin(areas)["controls"]))


def one_check(areas: dict) -> int:
    """The path now: the action plugin selects and checks; the module trusts it."""
    module_args, _ = action.prepare({"catalog": areas, "level": LEVEL, "edition": EDITION, "mode": "audit"}, [], "host")
    return len(module_args["controls"])


def role_path(areas: dict) -> int:
    """The linux_baseline role's path now: the same, and the module trusts what the plugin checked."""
    return len(filter_then_plugin(areas)["controls"])


def timed(path, areas: dict) -> float:
    start = time.perf_counter()
    path(areas)
    return time.perf_counter() - start


def rounds(areas: dict) -> tuple[list[float], list[float], list[float]]:
    """Every path in every round, in turns, so that a busy machine slows them alike."""
    paths = [three_checks, one_check, role_path]
    times = {path: [] for path in paths}
    for index in range(ROUNDS):
        for path in paths[index % 3 :] + paths[: index % 3]:
            times[path].append(timed(path, areas))
    return times[three_checks], times[one_check], times[role_path]


def main() -> int:
    areas = catalog()
    # the same controls reach the engine every way
    assert three_checks(areas) == one_check(areas) == role_path(areas)
    before, after, role = rounds(areas)
    ratio = statistics.median(a / b for a, b in zip(after, before, strict=True))
    role_ratio = statistics.median(a / b for a, b in zip(role, before, strict=True))
    count = sum(len(area) for area in areas.values())
    print(f"{count} Linux controls, {one_check(areas)} selected at {LEVEL} (CyFun {EDITION}), {ROUNDS} rounds:")
    print(f"  checked three times (filter, action plugin, module): median {statistics.median(before) * 1000:.1f} ms")
    print(f"  checked once (action plugin): median {statistics.median(after) * 1000:.1f} ms")
    print(f"  the role's path (filter, action plugin): median {statistics.median(role) * 1000:.1f} ms")
    print(f"  once / three times, median of the rounds' ratios: {ratio:.2f}")
    print(f"  the role's path / three times: {role_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
