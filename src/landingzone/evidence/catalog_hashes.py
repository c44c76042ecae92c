"""Which catalogs a run used, as sha256 per file: results are only comparable with their catalog."""

import hashlib
from pathlib import Path


def catalog_hashes(root) -> dict[str, str]:
    """sha256 of every roles/*/controls/*.yml, keyed by its path relative to the checkout."""
    root = Path(root)
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.glob("roles/*/controls/*.yml"))
    }
