"""The restic modules' documentation, as ansible-doc renders it with the shared doc fragment
(plugins/doc_fragments/restic.py), says what their argument specs take: the options
validate-modules would compare (names, type, required, default, choices, elements)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible_collections.cyberveilig.landingzone.plugins.doc_fragments.restic import ModuleDocFragment
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._restic import CONNECTION_ARGUMENT_SPEC

REPO = Path(__file__).resolve().parents[3]
PACKAGE = "ansible_collections.cyberveilig.landingzone.plugins.modules"
MODULES = ("restic_repository", "restic_snapshot_status", "restic_restore_verify")
# Modules of the backup roles that take no repository: no connection fragment.
OTHER_MODULES = ("restic_arrival_status", "restic_offsite_as_of", "restic_offsite_latest_good")


@pytest.fixture(scope="module")
def rendered():
    """{module: doc} from one ansible-doc run in the checkout (ansible.cfg finds the collection)."""
    done = subprocess.run(
        [Path(sys.executable).with_name("ansible-doc"), "--json",
         *(f"cyberveilig.landingzone.{m}" for m in MODULES + OTHER_MODULES)],
        cwd=REPO, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    return {name.rsplit(".", 1)[1]: entry["doc"] for name, entry in json.loads(done.stdout).items()}


def argument_spec(module):
    return importlib.import_module(f"{PACKAGE}.{module}").ARGUMENT_SPEC


def as_documented(spec):
    """An argument spec entry in the terms of a DOCUMENTATION option."""
    option = {"type": spec.get("type", "str"), "required": bool(spec.get("required", False))}
    for key in ("default", "choices", "elements"):
        if key in spec:
            option[key] = spec[key]
    return option


@pytest.mark.parametrize("module", MODULES + OTHER_MODULES)
def test_documented_options_are_the_argument_spec(rendered, module):
    spec, documented = argument_spec(module), rendered[module]["options"]
    assert sorted(documented) == sorted(spec)
    for name, option in documented.items():
        seen = {key: option[key] for key in ("type", "default", "choices", "elements") if option.get(key) is not None}
        seen["required"] = bool(option.get("required", False))
        assert seen == as_documented(spec[name]), name
        assert option["description"], name


@pytest.mark.parametrize("module", MODULES)
def test_connection_options_come_from_the_fragment_only(rendered, module):
    source = (REPO / "plugins" / "modules" / f"{module}.py").read_text()
    own = yaml.safe_load(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
    assert own["extends_documentation_fragment"] == ["cyberveilig.landingzone.restic"]
    assert not set(own["options"]) & set(CONNECTION_ARGUMENT_SPEC)
    fragment = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)
    for name in CONNECTION_ARGUMENT_SPEC:
        assert rendered[module]["options"][name]["description"] == fragment["options"][name]["description"]
    assert set(rendered[module]["attributes"]) == {"check_mode", "diff_mode", "platform"}


def test_the_fragment_documents_exactly_the_shared_connection_options():
    fragment = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)
    assert sorted(fragment["options"]) == sorted(CONNECTION_ARGUMENT_SPEC)
    for name, option in fragment["options"].items():
        seen = {key: option[key] for key in ("type", "default", "choices", "elements") if key in option}
        seen["required"] = bool(option.get("required", False))
        assert seen == as_documented(CONNECTION_ARGUMENT_SPEC[name]), name
