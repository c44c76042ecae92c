"""How `pytest -n 2 --dist loadgroup` shares the suite between workers.

A test module's tests stay together on one worker: their module- and session-scoped fixtures
(a lab municipality, a baselined host, a restic repository) are made once, and no two workers
bring up the same containers. Molecule scenarios are the exception: each is a whole run with
containers of its own names, so they spread over the workers one by one."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("molecule") and item.get_closest_marker("parametrize"):
            continue
        item.add_marker(pytest.mark.xdist_group(name=item.nodeid.partition("::")[0]))
