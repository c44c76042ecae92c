"""Two pytest workers keep a module's tests together, spread molecule scenarios, and run the VM
tests on one worker: tried on a small tree of tests that write down which worker ran them."""

import json
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[2]

RECORDER = """
import json, os, pathlib, time
import pytest

pytestmark = [{marks}]

@pytest.mark.parametrize("n", range({count}))
def test_records_its_worker(n, request):
    time.sleep({sleep})
    out = pathlib.Path(os.environ["WORKER_LOG"]) / (request.node.nodeid.replace("/", "_") + ".json")
    out.write_text(json.dumps([request.node.nodeid.partition("::")[0], os.environ["PYTEST_XDIST_WORKER"]]))
"""


def _run_tree(tmp_path):
    tree = tmp_path / "tree"
    # module: (tests, marks, seconds each); a scenario takes long enough for the other worker to
    # come for the next one.
    modules = {
        "tests/integration/test_lab_a.py": (6, "pytest.mark.lab", 0),
        "tests/integration/test_lab_b.py": (6, "pytest.mark.lab", 0),
        "tests/integration/test_molecule.py": (6, "pytest.mark.molecule", 0.5),
        "tests/unit/test_quick.py": (20, "", 0),
        "tests/vm/test_vm_a.py": (3, "pytest.mark.vm", 0),
        "tests/vm/test_vm_b.py": (3, "pytest.mark.vm", 0),
    }
    for module, (count, marks, sleep) in modules.items():
        path = tree / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(RECORDER.format(count=count, marks=marks, sleep=sleep))
    (tree / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(TESTS)!r})\npytest_plugins = ['worker_groups']\n"
    )
    (tree / "pytest.ini").write_text("[pytest]\nmarkers =\n    lab\n    molecule\n    vm\n")
    log = tmp_path / "log"
    log.mkdir()
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadscope", "tests"],
        cwd=tree,
        env={"WORKER_LOG": str(log), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    records = [json.loads(p.read_text()) for p in log.iterdir()]
    assert len(records) == sum(count for count, _, _ in modules.values())
    workers = {}
    for module, worker in records:
        workers.setdefault(module, []).append(worker)
    return workers


def test_modules_stay_on_one_worker_and_scenarios_spread(tmp_path):
    workers = _run_tree(tmp_path)
    assert len(set(workers["tests/integration/test_lab_a.py"])) == 1
    assert len(set(workers["tests/integration/test_lab_b.py"])) == 1
    vm_workers = set(workers["tests/vm/test_vm_a.py"]) | set(workers["tests/vm/test_vm_b.py"])
    assert len(vm_workers) == 1, "the VM tests ran on both workers at once"
    assert set(workers["tests/integration/test_molecule.py"]) == {"gw0", "gw1"}, "scenarios did not spread"
