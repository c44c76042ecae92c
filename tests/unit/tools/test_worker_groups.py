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


class _Item:
    """What the ordering reads of a pytest item: its id and its marks."""

    def __init__(self, nodeid, *marks):
        self.nodeid, self.marks = nodeid, marks

    def get_closest_marker(self, name):
        return name if name in self.marks else None


def test_measured_units_start_longest_first_and_the_others_by_mark(monkeypatch):
    import worker_groups

    monkeypatch.setattr(
        worker_groups,
        "MEASURED_SECONDS",
        {
            "tests/integration/test_drill.py": 400,
            "tests/integration/test_molecule.py::test_scenario[long]": 440,
            "tests/integration/test_molecule.py::test_scenario[short]": 100,
            "qemu": 300,
        },
    )
    written = [
        _Item("tests/unit/test_quick.py::test_a"),
        _Item("tests/integration/test_lab_unknown.py::test_a", "lab"),
        _Item("tests/integration/test_drill.py::test_a", "lab"),
        _Item("tests/integration/test_drill.py::test_b", "lab"),
        _Item("tests/integration/test_molecule.py::test_scenario[short]", "molecule"),
        _Item("tests/integration/test_molecule.py::test_scenario[unknown]", "molecule"),
        _Item("tests/integration/test_molecule.py::test_scenario[long]", "molecule"),
        _Item("tests/vm/test_smoke.py::test_a", "vm"),
    ]
    ordered = [item.nodeid for item in sorted(written, key=worker_groups.dispatch_order)]
    assert ordered == [
        "tests/integration/test_molecule.py::test_scenario[long]",
        "tests/integration/test_drill.py::test_a",
        "tests/integration/test_drill.py::test_b",
        "tests/vm/test_smoke.py::test_a",
        "tests/integration/test_molecule.py::test_scenario[short]",
        # Not measured: by mark, a molecule scenario before a lab module before the rest.
        "tests/integration/test_molecule.py::test_scenario[unknown]",
        "tests/integration/test_lab_unknown.py::test_a",
        "tests/unit/test_quick.py::test_a",
    ]


def test_every_measured_unit_is_one_the_suite_has():
    """A renamed module or scenario would drop out of the table unseen and start wherever its mark puts it."""
    import worker_groups
    from molecule_scenarios import scenarios

    molecule_units = {f"{worker_groups.MOLECULE_MODULE}::test_scenario[{s.test_id}]" for s in scenarios(TESTS.parent)}
    for unit in worker_groups.MEASURED_SECONDS:
        if unit == "qemu":
            assert list((TESTS / "vm").glob("test_*.py"))
        elif "::" in unit:
            assert unit in molecule_units, unit
        else:
            assert (TESTS.parent / unit).is_file(), unit
