"""Makes the collection importable as ansible_collections.cyberveilig.landingzone
for unit tests, from the checkout, without installing it anywhere, and loads the
suite's own plugins: the skip policy under CI, the time budget report, how two
workers share the suite, and the baselined host that tests share."""

import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[1] / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


pytest_plugins = ["skip_policy", "budget_report", "worker_groups", "baselined_host"]
