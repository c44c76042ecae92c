"""A role's program from its files/ directory (run on the host as a script, without .py),
loaded as a module so that unit tests can call its functions."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from unittest import mock


def load_role_script(path: Path, name: str, beside: dict[str, ModuleType] | None = None) -> ModuleType:
    """The script at ``path`` as module ``name``; ``beside`` stands in for the modules the role
    installs next to it on a host (imported by name while the script loads)."""
    loader = importlib.machinery.SourceFileLoader(name, str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    with mock.patch.dict(sys.modules, beside or {}):
        loader.exec_module(module)
    return module
