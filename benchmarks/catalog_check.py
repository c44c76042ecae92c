"""What checking the Linux catalog costs on its way to a host, on the controller (a script, not a test).

Before, a baseline run checked the catalog three times: the select_controls filter (record fields
and references, plus catalog_ids for the waivers' known ids), the action plugin (every selected
control's params), and the module on the host (the same params again). Given the whole catalog,
the action plugin selects and checks it once; the module runs what it was given.

The linux_baseline role's path is measured as Ansible runs it, with Ansible's own Templar and the
role's defaults and vars (tests/role_render.py), log forwarding configured so that every control
renders:

- the role before: the control_catalog lookup read twice (the catalog fact and its ids), the
  select_controls filter rendered twice on the lazily rendered catalog (by the role's assert and by
  the engine task's arguments), then the action plugin's check of the selection;
- the role now: the action plugin reads the catalog's directory with the lookup's reader, selects,
  renders the selected controls' templates with the task's variables and checks them, once.

The two reference paths of the change before (three checks, one check) run on a catalog rendered
beforehand. Every path runs in every round, in turns, in the same process, at the essential level
of CyFun 2025.

    .venv/bin/python benchmarks/catalog_check.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import yaml
from jinja2.nativetypes import NativeEnvironment

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "collections"))
sys.path.insert(0, str(ROOT / "tests"))
# The role's catalog rendered as its unit test renders it, with the role's defaults.
sys.path.insert(0, str(ROOT / "tests" / "unit" / "roles"))

from ansible.template import trust_as_template  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.action import linux_controls as action  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.filter import controls as filters  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.filter.encoders import FilterModule as EncoderFilters  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import schema  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.catalog_files import read_catalog  # noqa: E402
from role_render import _templar, role_variables  # noqa: E402
from test_linux_baseline_catalog import render, role_context  # noqa: E402

ROUNDS = 30
LEVEL, EDITION = "essential", 2025
ROLE = ROOT / "roles" / "linux_baseline"
CATALOG_DIR = str(ROLE / "controls")
# The selection the role rendered before, by its assert and again by its engine task (vars/main.yml).
SELECTED_BEFORE = trust_as_template(
    "{{ linux_baseline_catalog | cyberveilig.landingzone.select_controls(level=linux_baseline_level,"
    " edition=linux_baseline_cyfun_edition, disabled=linux_baseline_disabled_controls,"
    " adjustments=landingzone_baseline_adjustments | default([])) }}"
)


def task_vars() -> dict:
    """The role's defaults and vars, as a play of one essential host with a log collector has them."""
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))
    configured = {name: value for name, value in role_context().items() if defaults.get(name) != value}
    return role_variables(
        "linux_baseline", linux_baseline_level=LEVEL, linux_baseline_cyfun_edition=EDITION, **configured
    )


class RoleTemplar:
    """Stands for the plugin's task templar: each copy is a real Templar that also knows the
    collection's filters by their full names, as ansible-playbook's collection loader finds them."""

    def copy_with_new_env(self, available_variables):
        templar = _templar(available_variables)
        names = templar.environment.filters
        names.update({f"cyberveilig.landingzone.{name}": f for name, f in filters.FilterModule().filters().items()})
        return templar


def rendered_catalog() -> dict:
    """The role's catalog as Ansible hands it to a task: its templates rendered with the role's
    defaults, log forwarding configured so that every control renders."""
    env = NativeEnvironment(trim_blocks=True)
    env.filters.update({f"cyberveilig.landingzone.{name}": f for name, f in EncoderFilters().filters().items()})
    return render(read_plain(), role_context(), env)


def read_plain() -> dict:
    areas = {}
    for path in sorted(ROLE.joinpath("controls").glob("*.yml")):
        areas.update(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    return areas


def filter_then_plugin(areas: dict) -> dict:
    """The module's arguments from a rendered catalog: the filter selects (and lists the catalog's
    ids), the action plugin checks the selection."""
    selected = filters.select_controls(areas, LEVEL, edition=EDITION)
    known = filters.catalog_ids(areas)
    module_args, _ = action.prepare({"controls": selected, "mode": "audit"}, [], "host", known_ids=known)
    return module_args


def three_checks(areas: dict, variables: dict) -> list:
    """Reference: filter, catalog_ids, the action plugin's check, the module's check."""
    return schema.validate_controls(filter_then_plugin(areas)["controls"])


def one_check(areas: dict, variables: dict) -> list:
    """Reference: the action plugin selects and checks a rendered catalog; the module trusts it."""
    module_args, _ = action.prepare({"catalog": areas, "level": LEVEL, "edition": EDITION, "mode": "audit"}, [], "host")
    return module_args["controls"]


def role_before(areas: dict, variables: dict) -> list:
    """The linux_baseline role before: the lookup into a fact and its ids, the filter rendered by the
    assert and again by the engine task's arguments, the action plugin's check of the selection."""
    variables = dict(variables, linux_baseline_catalog=read_catalog(CATALOG_DIR))
    known = filters.catalog_ids(read_catalog(CATALOG_DIR))  # the role took the ids from the plain data
    templar = RoleTemplar().copy_with_new_env(available_variables=variables)
    assert templar.template(SELECTED_BEFORE)  # the role's assert: the selection leaves a control
    selected = templar.template(SELECTED_BEFORE)
    module_args, _ = action.prepare({"controls": selected, "mode": "audit"}, [], "host", known_ids=known)
    return module_args["controls"]


def role_now(areas: dict, variables: dict) -> list:
    """The linux_baseline role now: the action plugin reads the directory, selects, renders and checks."""
    plugin = SimpleNamespace(_templar=RoleTemplar())
    args = {"catalog_dir": CATALOG_DIR, "level": LEVEL, "edition": EDITION, "mode": "audit"}
    render = action.ActionModule._renderer(plugin, variables)
    module_args, _ = action.prepare(args, [], "host", render=render)
    return module_args["controls"]


PATHS = (three_checks, one_check, role_before, role_now)


def rounds(areas: dict, variables: dict) -> dict:
    """Every path in every round, in turns, so that a busy machine slows them alike."""
    times = {path: [] for path in PATHS}
    for index in range(ROUNDS):
        for path in PATHS[index % len(PATHS) :] + PATHS[: index % len(PATHS)]:
            start = time.perf_counter()
            path(areas, variables)
            times[path].append(time.perf_counter() - start)
    return times


def main() -> int:
    areas, variables = rendered_catalog(), task_vars()
    # The same controls reach the engine every way, and the role's two paths, both rendered by
    # Ansible's Templar, send exactly the same (the references' catalog was rendered by plain Jinja,
    # whose whitespace in two file contents differs).
    reference = role_now(areas, variables)
    assert role_before(areas, variables) == reference
    assert len(three_checks(areas, variables)) == len(one_check(areas, variables)) == len(reference)
    times = rounds(areas, variables)

    def median_ms(path):
        return statistics.median(times[path]) * 1000

    def ratio(path, base):
        return statistics.median(a / b for a, b in zip(times[path], times[base], strict=True))

    count = sum(len(area) for area in areas.values())
    print(f"{count} Linux controls, {len(reference)} selected at {LEVEL} (CyFun {EDITION}), {ROUNDS} rounds:")
    print(f"  reference, checked three times (filter, action plugin, module): median {median_ms(three_checks):.1f} ms")
    print(f"  reference, checked once (action plugin, catalog given): median {median_ms(one_check):.1f} ms")
    print(f"  the role before (lookup, filter rendered twice, plugin check): median {median_ms(role_before):.1f} ms")
    print(f"  the role now (plugin reads, selects, renders, checks): median {median_ms(role_now):.1f} ms")
    print("  medians of the rounds' ratios:")
    print(f"    checked once / three times: {ratio(one_check, three_checks):.2f}")
    print(f"    the role before / three times: {ratio(role_before, three_checks):.2f}")
    print(f"    the role now / three times: {ratio(role_now, three_checks):.2f}")
    print(f"    the role now / the role before: {ratio(role_now, role_before):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
