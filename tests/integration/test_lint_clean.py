"""The tree is lint clean: the linters `make lint` runs (tools/lint.sh), each as a test, so that
`make test` runs them on a worker while the other waits on containers rather than before it."""

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# ansible-lint takes about two minutes on a busy 2-core machine; the bound stops a hung one.
TIMEOUT = 15 * 60


def lint(linter):
    done = subprocess.run(
        [str(ROOT / "tools" / "lint.sh"), linter],
        env=dict(os.environ, NO_COLOR="1"),  # plain lines, for the pass line below
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"tools/lint.sh {linter} failed:\n{output[-6000:]}"
    return output


@pytest.mark.parametrize("linter", ["ruff", "format", "yaml"])
def test_python_and_yaml_are_lint_clean(linter):
    lint(linter)


def test_ansible_lint_passes_the_production_profile_on_every_file():
    output = lint("ansible")
    passed = re.search(r"Passed: 0 failure\(s\), \d+ warning\(s\) in (\d+) files processed", output)
    assert passed, f"ansible-lint printed no pass line:\n{output[-3000:]}"
    # It read the collection, not an empty tree: roles, playbooks and molecule scenarios.
    assert int(passed.group(1)) > 200, output[-3000:]
    assert "Profile 'production' was required, and it passed" in output, output[-3000:]
