"""Every module of the CLI imports on its own, whichever is imported first: a test, a benchmark or a
supplier's script may start from any of them. An import cycle between two packages stays hidden while
every caller happens to import the same one first (the CLI always reads the card before the secrets)."""

import subprocess
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[3] / "src"

# One interpreter for all of them, forgetting the landing zone's own modules before each import:
# Ansible's modules stay loaded, so the check takes seconds rather than a minute.
IMPORT_EACH_FIRST = """
import importlib, pkgutil, sys, traceback
import landingzone
names = sorted(info.name for info in pkgutil.walk_packages(landingzone.__path__, "landingzone."))
failed = []
for name in names:
    for loaded in [m for m in sys.modules if m == "landingzone" or m.startswith("landingzone.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc(limit=-1).strip().splitlines()[-1])
print(len(names))
print("\\n".join(failed))
"""


def test_every_module_imports_when_it_is_the_first_one():
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH_FIRST],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=SOURCE,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    count, *failed = done.stdout.splitlines()
    assert int(count) > 50, f"only {count} modules found under {SOURCE}"
    assert not [line for line in failed if line], "\n".join(failed)
