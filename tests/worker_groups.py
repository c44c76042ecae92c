"""How `pytest -n 2 --dist loadscope` shares the suite between workers.

A test module's tests stay together on one worker: their module- and session-scoped fixtures
(a lab municipality, a baselined host, a restic repository) are made once, and no two workers
bring up the same containers. Molecule scenarios are the exception: each is a whole run with
containers of its own names, so they spread over the workers one by one. The modules that boot
a VM under qemu share one unit: two software-emulated VMs at once would each get half the
cores they need.

Work starts with the longest units (the VMs, then the molecule scenarios, then the other tests
that start containers), so that no long unit begins last while the other worker sits idle.

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


# Marks of the tests that take minutes, longest first; the rest take seconds.
LONG_FIRST = ("vm", "molecule", "lab")


def _rank(item):
    for rank, mark in enumerate(LONG_FIRST):
        if item.get_closest_marker(mark):
            return rank
    return len(LONG_FIRST)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    # Only a worker's order feeds the scheduler; a serial run keeps the order it was written in.
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=_rank)


class ModulesTogether(LoadScopeScheduling):
    def _split_scope(self, nodeid):
        return work_unit(nodeid)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadscope":
        # Units go out in the order the workers collected them (long first), not by their size.
        config.option.loadscopereorder = False
        return ModulesTogether(config, log)
    return None
