"""A freshly scaffolded supplier role passes lint and its own molecule scenario, as generated,
found where `make test` finds it."""

import subprocess
import sys
from pathlib import Path

import pytest
from molecule_scenarios import scenarios

from landingzone.supplier_role.contract_test import environment

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def run(argv, cwd, extra_env=None, timeout=900):
    return subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env={**environment(), **(extra_env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.molecule
def test_scaffolded_role_passes_lint_and_molecule(tmp_path):
    roles = tmp_path / "roles"
    made = run([BIN / "landingzone", "new-supplier-role", "scaffold_check", "--path", roles], ROOT)
    assert made.returncode == 0, made.stderr
    role = roles / "scaffold_check"
    lint_env = {"ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections"), "ANSIBLE_ROLES_PATH": str(roles)}
    # The collection's own lint rules, which a role made in roles/ is held to by `make lint`.
    for argv in (
        [BIN / "yamllint", "--strict", "-c", ROOT / ".yamllint", "."],
        [BIN / "ansible-lint", "--offline", "--profile", "production"],
        [sys.executable, ROOT / "tools" / "role_docs.py", "--check", role],
    ):
        result = run(argv, role, lint_env)
        assert result.returncode == 0, f"{argv[0]}:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
    # The scenario `make test` would run for a role made in the collection's roles/.
    assert [(s.test_id, s.workdir, s.name, s.slow) for s in scenarios(tmp_path)] == [
        ("scaffold_check-default", role, "default", False)
    ]
    scenario = run([BIN / "molecule", "test", "-s", "default"], role, {"ANSIBLE_FORCE_COLOR": "0", "NO_COLOR": "1"})
    assert scenario.returncode == 0, (scenario.stdout + scenario.stderr)[-5000:]
