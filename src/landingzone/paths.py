"""Where the collection checkout is, and the environment its tools need."""

import os
from pathlib import Path

from landingzone.errors import LandingzoneError


def _is_collection_root(path: Path) -> bool:
    galaxy = path / "galaxy.yml"
    return galaxy.is_file() and "name: landingzone" in galaxy.read_text(encoding="utf-8")


def collection_root() -> Path:
    """The checkout the CLI works in: $LANDINGZONE_HOME, the current directory
    or one of its parents, or the checkout this package was installed from."""
    explicit = os.environ.get("LANDINGZONE_HOME")
    if explicit:
        root = Path(explicit).resolve()
        if not _is_collection_root(root):
            raise LandingzoneError(f"LANDINGZONE_HOME={explicit} holds no galaxy.yml of the landingzone collection")
        return root
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents, *Path(__file__).resolve().parents):
        if _is_collection_root(candidate):
            return candidate
    raise LandingzoneError(
        "cannot find the landingzone collection checkout: run from inside it or set LANDINGZONE_HOME"
    )


def podman_env(root: Path | None = None) -> dict[str, str]:
    """The environment for podman: the repository's containers.conf, never /etc."""
    root = root or collection_root()
    env = dict(os.environ)
    env["CONTAINERS_CONF"] = str(root / "lab" / "containers.conf")
    return env


def fleet_directory(option: str | None, root: Path) -> Path:
    """The fleet a command works on: --fleet, or the checkout's own inventories."""
    return Path(option).resolve() if option else root / "inventories"
