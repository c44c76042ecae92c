"""The operator's command line for the cyberveilig.landingzone collection.

The CLI stands on the collection: code both need (the supplier contract) lives in the
collection's plugins/plugin_utils, and the CLI imports it as
``ansible_collections.cyberveilig.landingzone``. It takes it from the checkout this package
is installed from (``make setup`` installs it in place), so the CLI and the collection code
it runs always come from one commit, whatever directory the operator works in.
"""

import sys
from pathlib import Path

__version__ = "0.1.0"

# collections/ansible_collections/cyberveilig/landingzone links back to the checkout.
_CHECKOUT_COLLECTIONS = Path(__file__).resolve().parents[2] / "collections"
if _CHECKOUT_COLLECTIONS.is_dir() and str(_CHECKOUT_COLLECTIONS) not in sys.path:
    sys.path.append(str(_CHECKOUT_COLLECTIONS))
