"""Each Linux handler declares what the catalog check and the docs need of its type."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import catalog
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.errors import ControlError
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers import HANDLERS
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import TYPES

REPO = Path(__file__).resolve().parents[3]
HANDLER_DIR = REPO / "plugins" / "module_utils" / "_controls" / "handlers"


def test_every_handler_file_is_registered_under_its_own_name():
    # The module on the host gets only the handlers the registry imports (AnsiballZ packs what is imported).
    files = {path.stem for path in HANDLER_DIR.glob("*.py") if path.stem != "__init__"}
    assert files == set(HANDLERS)
    assert all(module.__name__.rsplit(".", 1)[-1] == name for name, module in HANDLERS.items())
    check = subprocess.run(
        [sys.executable, str(REPO / "tools" / "handler_registry.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("name", sorted(HANDLERS))
def test_each_handler_declares_its_params_and_its_docs_row(name):
    handler = HANDLERS[name]
    assert handler.PARAMS and all(set(spec) >= {"kind", "required", "default"} for spec in handler.PARAMS.values())
    assert handler.DOC_PARAMS.strip() and handler.DOC_MANAGES.strip()
    for param in handler.PARAMS:
        assert f"`{param}`" in handler.DOC_PARAMS, f"{name}: the docs row does not name param {param}"


@pytest.mark.parametrize(("types", "ctype"), [(HANDLERS, "sysctl"), (TYPES, "registry_value")])
def test_both_platforms_check_params_with_the_same_words(types, ctype):
    with pytest.raises(ControlError, match=rf"^control LZ-X-001: params\.nope: unknown param for type {ctype}; "):
        catalog.validate_params("LZ-X-001", ctype, {"nope": 1}, types)
    with pytest.raises(ControlError, match=r"^control LZ-X-001: type: unknown type 'nope'"):
        catalog.validate_params("LZ-X-001", "nope", {}, types)
