"""ansible-test sanity passes on an installed copy of the collection (tools/sanity.sh): every
test on the controller's Python 3.13, and compile and import of the module code on Debian
12's Python 3.11. Each line of tests/sanity/ignore-2.21.txt says why it is there, and
ansible-test's own "ignores" test fails on a line that ignores nothing."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# About two minutes here once ansible-test's virtualenvs exist; the first run also creates them.
TIMEOUT = 30 * 60


def test_ansible_test_sanity_passes_on_an_installed_copy():
    done = subprocess.run(
        [str(ROOT / "tools" / "sanity.sh")], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    # Both runs happened, on the Pythons they name.
    assert 'Running sanity test "compile" on Python 3.13' in output
    assert 'Running sanity test "import" on Python 3.11' in output
    assert 'Running sanity test "validate-modules"' in output


def test_every_ignore_line_gives_its_reason():
    for number, line in enumerate((ROOT / "tests/sanity/ignore-2.21.txt").read_text().splitlines(), 1):
        entry, _, reason = line.partition(" # ")
        assert len(entry.split()) == 2 and len(reason) > 20, f"ignore-2.21.txt line {number} gives no reason: {line}"
