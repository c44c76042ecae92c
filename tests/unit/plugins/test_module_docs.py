"""linux_controls documents exactly the options its argument spec takes (what ansible-test's
validate-modules compares: names, types, defaults, choices, elements, suboptions)."""

from __future__ import annotations

import yaml
from ansible_collections.cyberveilig.landingzone.plugins.modules import linux_controls

FIELDS = ("type", "default", "choices", "elements")


def _compare(documented, spec, where):
    assert sorted(documented) == sorted(spec), where
    for name, option in spec.items():
        doc = documented[name]
        for field in FIELDS:
            assert doc.get(field) == option.get(field), f"{where}.{name}.{field}"
        if "options" in option:
            _compare(doc["suboptions"], option["options"], f"{where}.{name}")


def test_documented_options_are_the_argument_spec():
    documented = yaml.safe_load(linux_controls.DOCUMENTATION)["options"]
    _compare(documented, linux_controls.ARGUMENT_SPEC, "options")


def test_examples_and_return_parse():
    assert yaml.safe_load(linux_controls.EXAMPLES)
    returned = yaml.safe_load(linux_controls.RETURN)
    assert {"access", "commit_confirmed", "results", "summary"} <= set(returned)
