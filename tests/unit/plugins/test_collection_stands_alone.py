"""The collection stands beneath the CLI: no Python file of plugins/ or roles/ imports the
landingzone package. The plugins import only the standard library, ansible-core, the
collection itself and ansible-core's own dependencies, which every install of the collection
has; a role's own programs run on its hosts, with what the role installs there. (The
clean-room test proves the same by running it; this names the file at once.)"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# ansible-core's own requirements (pip show ansible-core), importable wherever it runs.
ANSIBLE_CORE_DEPENDENCIES = {"yaml", "jinja2", "markupsafe", "cryptography", "packaging", "resolvelib"}
ALLOWED = set(sys.stdlib_module_names) | ANSIBLE_CORE_DEPENDENCIES | {"ansible", "ansible_collections", "__future__"}


def _python_files():
    for top in ("plugins", "roles"):
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            if path.suffix == ".py" or path.read_bytes().startswith(b"#!/usr/bin/python"):
                yield path


def _imported(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


FILES = list(_python_files())


def test_there_is_code_to_check():
    names = {path.name for path in FILES}
    assert {"supplier_contract.py", "linux_controls.py", "citizen-portal-healthcheck"} <= names


@pytest.mark.parametrize("path", FILES, ids=[str(path.relative_to(ROOT)) for path in FILES])
def test_it_imports_no_cli_and_plugins_only_what_every_install_has(path):
    tops = {name.split(".")[0] for name in _imported(path)}
    assert "landingzone" not in tops, f"{path.relative_to(ROOT)} imports the operator's CLI package"
    if path.relative_to(ROOT).parts[0] == "plugins":
        assert tops <= ALLOWED, f"{path.relative_to(ROOT)} imports {sorted(tops - ALLOWED)}"
