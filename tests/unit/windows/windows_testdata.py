"""The Windows catalog and the role's variables, rendered as Ansible renders them for the engine.

No Windows host and no PowerShell exist where these tests run: what they prove is what the
controller does (validation, selection, waivers, the script it renders, how it reads the
host's answer). What PowerShell does with the script is proven only by tests/live.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml
from jinja2.nativetypes import NativeEnvironment

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "windows_baseline"
FIXTURES = ROOT / "tests" / "fixtures" / "windows"
MANAGEMENT_NETWORKS = ["10.231.10.0/24"]


@functools.cache
def _loaded_catalog():
    catalog = {}
    for path in sorted((ROLE / "controls").glob("*.yml")):
        catalog.update(yaml.safe_load(path.read_text(encoding="utf-8")))
    return catalog


def raw_catalog():
    """{area: [controls]} exactly as include_vars loads roles/windows_baseline/controls/ (a fresh copy
    each call: the files are parsed once per test session, which is most of the time it takes)."""
    return copy.deepcopy(_loaded_catalog())


# One environment for every render, and each template string compiled once per session: compiling
# the catalog's few hundred expressions again for each test was most of what a render cost.
_ENVIRONMENT = NativeEnvironment()


@functools.cache
def _compiled(source: str):
    return _ENVIRONMENT.from_string(source)


def _render(value, context):
    if isinstance(value, str) and "{{" in value:
        return _compiled(value).render(context)
    if isinstance(value, dict):
        return {key: _render(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [_render(item, context) for item in value]
    return value


@functools.cache
def _role_file(part: str) -> dict:
    return yaml.safe_load((ROLE / part / "main.yml").read_text(encoding="utf-8"))


def role_context(data_classification=3, **overrides):
    """The role's defaults and derived vars, with a municipality card's data classification."""
    context = copy.deepcopy(_role_file("defaults"))
    context["group_names"] = ["virtual_pcs"]
    context["windows_baseline_fslogix_vhd_locations"] = [r"\\profiles.gemeente.example\fslogix"]
    context.update(overrides)
    context["landingzone_municipality"] = {"data_classification": data_classification}
    for name, template in _role_file("vars").items():
        context[name] = _render(template, context)
    return context


def rendered_catalog(**context_overrides):
    # _render builds every mapping and list anew, so the parsed catalog needs no copy of its own.
    return _render(_loaded_catalog(), role_context(**context_overrides))


def engine_args(catalog=None, **overrides):
    """The task args the role passes to cyberveilig.landingzone.windows_controls."""
    args = {
        "catalog": catalog if catalog is not None else rendered_catalog(),
        "level": "important",
        "mode": "apply",
        "host_kind": "virtual_pc",
        "disabled": [],
        "waivers": [],
        "management_networks": list(MANAGEMENT_NETWORKS),
        "rdp_networks": [],
        "winrm_port": 5986,
        "rdp_port": 3389,
        "winrm_certificate_thumbprint": "",
    }
    args.update(overrides)
    return args
