"""new_supplier_role: a new supplier role that keeps the contract from its first minute.

The skeleton (skeleton/, package data) is an example service with every piece the contract
asks for: meta/landingzone.yml, meta/argument_specs.yml (with the generated defaults and
README table), tasks that open the declared port through the role's own nftables drop-in
and run the declared health check, and a molecule scenario on a baselined lab container.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from landingzone.errors import LandingzoneError
from landingzone.supplier_role import load

NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
# Names the landing zone's own roles use, which a supplier role must not shadow.
RESERVED = ("linux_baseline", "windows_baseline", "log_collector", "backup_agent", "backup_server", "vpn_gateway")


def _files(tree: Traversable, prefix: Path = Path()):
    for entry in tree.iterdir():
        if entry.is_dir():
            yield from _files(entry, prefix / entry.name)
        elif entry.name != "__pycache__":
            yield prefix / entry.name, entry.read_text(encoding="utf-8")


def new_supplier_role(name: str, parent: Path, collection_root: Path) -> Path:
    """Create `parent`/`name` from the skeleton; return its path."""
    if not NAME.match(name) or name in RESERVED:
        raise LandingzoneError(
            f"new-supplier-role: NAME: {name!r} must be 2-41 lowercase letters, digits or underscores starting with "
            f"a letter, and not one of the landing zone's own roles ({', '.join(RESERVED)})"
        )
    target = Path(parent) / name
    if target.exists():
        raise LandingzoneError(f"new-supplier-role: {target} exists already; pick another name or --path")
    replacements = {
        "__ROLE__": name,
        "__UNIT__": name.replace("_", "-"),
        "__COLLECTIONS_PATH__": str(collection_root / "collections"),
    }
    skeleton = resources.files("landingzone.supplier_role").joinpath("skeleton")
    for relative, text in _files(skeleton):
        for token, value in replacements.items():
            text = text.replace(token, value)
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _generate_docs(target, collection_root)
    load(target)  # the skeleton keeps its own contract, or this is a bug worth stopping on
    return target


def _generate_docs(role: Path, collection_root: Path) -> None:
    """defaults/main.yml and the README's variables table, by the collection's own generator."""
    tool = collection_root / "tools" / "role_docs.py"
    result = subprocess.run(
        [sys.executable, str(tool), str(role)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise LandingzoneError(f"new-supplier-role: {tool} failed on {role}: {result.stderr.strip()}")
