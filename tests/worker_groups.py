"""How `pytest -n 2 --dist loadscope` shares the suite between workers.

A test module's tests stay together on one worker: their module- and session-scoped fixtures
(a lab municipality, a baselined host, a restic repository) are made once, and no two workers
bring up the same containers. Molecule scenarios are the exception: each is a whole run with
containers of its own names, so they spread over the workers one by one. The modules that boot
a VM under qemu share one unit: two software-emulated VMs at once would each get half the
cores they need.

Work starts with the longest units, so that no long unit begins last while the other worker sits
idle: first those in MEASURED_SECONDS, longest first, then the others by their marks (the VMs, the
molecule scenarios, the other tests that start containers, the rest). A unit the table does not
name counts as short. `benchmarks/worker_order.py` replays xdist's dispatch with these figures to
show what the order changes.

This is a scheduler of its own rather than `xdist_group` marks: xdist's loadgroup adds the group
to the test's id, which pytest 9 no longer lets a plugin change, so those marks group nothing."""

import os

import pytest
from xdist.scheduler import LoadScopeScheduling

MOLECULE_MODULE = "tests/integration/test_molecule.py"
VM_TESTS = "tests/vm/"


def work_unit(nodeid):
    """The unit of work a test belongs to: its module, its own molecule scenario, or the VMs."""
    module = nodeid.partition("::")[0]
    if module.startswith(VM_TESTS):
        return "qemu"
    if module == MOLECULE_MODULE:
        return nodeid
    return module


# Worker seconds of the units that take minutes in `make test`, from its time budget on a clean
# clone (CI=true bash .ci/run, two workers, a quiet machine), rounded. Only their order counts: a
# figure needs updating when a unit grows or shrinks past its neighbours.
MEASURED_SECONDS = {
    "tests/integration/test_molecule.py::test_scenario[backup]": 440,
    "tests/integration/test_restore_drill.py": 410,
    "qemu": 350,
    "tests/contract/test_supplier_contract.py": 265,
    "tests/integration/test_molecule.py::test_scenario[vpn_gateway]": 205,
    "tests/integration/test_molecule.py::test_scenario[citizen_portal]": 175,
    "tests/integration/test_molecule.py::test_scenario[vpn_ipsec]": 165,
    "tests/integration/test_molecule.py::test_scenario[linux_baseline]": 165,
    "tests/integration/test_molecule.py::test_scenario[linux_baseline_lockout]": 165,
    "tests/integration/test_molecule.py::test_scenario[linux_baseline_stock]": 150,
    "tests/integration/test_molecule.py::test_scenario[default]": 135,
    "tests/contract/test_supplier_scaffold_molecule.py": 110,
    "tests/integration/test_collection_clean_room.py": 80,
    "tests/integration/test_lint_clean.py": 70,
}

# Marks of the tests that take minutes, longest first; the rest take seconds.
LONG_FIRST = ("vm", "molecule", "lab")


def _rank(item):
    for rank, mark in enumerate(LONG_FIRST):
        if item.get_closest_marker(mark):
            return rank
    return len(LONG_FIRST)


def expected_seconds(unit):
    """The unit's measured worker seconds; 0 for a unit the table does not name (a short one)."""
    return MEASURED_SECONDS.get(unit, 0)


def dispatch_order(item):
    """The sort key of a worker's items: measured units longest first, then the others by mark."""
    return (-expected_seconds(work_unit(item.nodeid)), _rank(item))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    # Only a worker's order feeds the scheduler; a serial run keeps the order it was written in.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=dispatch_order)


class ModulesTogether(LoadScopeScheduling):
    def _split_scope(self, nodeid):
        return work_unit(nodeid)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadscope":
        # Units go out in the order the workers collected them (long first), not by their size.
        config.option.loadscopereorder = False
        return ModulesTogether(config, log)
    return None
