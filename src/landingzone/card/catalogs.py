"""The control ids a waiver may name: those of every role's catalog in the checkout.

Every command that reads a card needs them, and parsing the 42 catalog files is the largest part
of validating a municipality. So the id map is kept in the checkout's state directory, keyed by
the SHA-256 of every catalog file's path and bytes (never their times): a catalog that changed by
one byte is parsed again. A cache file that does not parse, has another format or key, or holds
anything but a map of control id to a role that has a catalog is ignored and written afresh.
"""

import hashlib
import json
import os
import tempfile
from pathlib import Path

import yaml

from landingzone.errors import LandingzoneError

# The catalogs are the checkout's own files, read on every command: libyaml's safe loader reads
# them about ten times faster than PyYAML's own, where it is built in.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CACHE_FORMAT = "landingzone-catalog-ids/1"


def catalog_files(root: Path) -> list[Path]:
    return sorted(Path(root).glob("roles/*/controls/*.yml"))


def cache_file(root: Path) -> Path:
    """Where the CLI keeps the checkout's state (the lab's keys live beside it)."""
    return Path(root) / ".cache" / "catalog-ids.json"


def catalog_roles(root) -> dict[str, str]:
    """Every control id of roles/<role>/controls/*.yml, with the role whose catalog has it
    (each file a mapping {area: [control, ...]})."""
    root = Path(root)
    contents = [(path, path.read_bytes()) for path in catalog_files(root)]
    key = _content_key(root, contents)
    roles = _cached(cache_file(root), key, {path.parent.parent.name for path, _ in contents})
    if roles is None:
        roles = _parse(contents)
        _store(cache_file(root), key, roles)
    return roles


def known_control_ids(root) -> set[str]:
    """Every control id of every role's catalog in the checkout."""
    return set(catalog_roles(root))


def _content_key(root: Path, contents: list[tuple[Path, bytes]]) -> str:
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for path, data in contents:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def _parse(contents: list[tuple[Path, bytes]]) -> dict[str, str]:
    roles: dict[str, str] = {}
    for path, data in contents:
        try:
            catalog = yaml.load(data.decode("utf-8"), Loader=SAFE_LOADER) or {}  # noqa: S506 - a safe loader
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise LandingzoneError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(catalog, dict):
            raise LandingzoneError(f"{path}: a catalog is a mapping of area name to a list of controls")
        for area, controls in catalog.items():
            for index, control in enumerate(controls or []):
                if not isinstance(control, dict) or not isinstance(control.get("id"), str):
                    raise LandingzoneError(f"{path}: {area}[{index}]: a control needs an id")
                roles[control["id"]] = path.parent.parent.name
    return roles


def _cached(path: Path, key: str, catalog_roles_present: set[str]) -> dict[str, str] | None:
    """The id map stored for exactly these catalogs, or None when there is none to believe."""
    try:
        stored = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("format") != CACHE_FORMAT or stored.get("key") != key:
        return None
    roles = stored.get("roles")
    if not isinstance(roles, dict) or not all(
        isinstance(control_id, str) and isinstance(role, str) and role in catalog_roles_present
        for control_id, role in roles.items()
    ):
        return None
    return roles


def _store(path: Path, key: str, roles: dict[str, str]) -> None:
    """Written whole or not at all (a temporary file renamed over it); a checkout that cannot
    be written to is validated all the same, without the cache."""
    text = json.dumps({"format": CACHE_FORMAT, "key": key, "roles": roles}, sort_keys=True)
    partial = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(partial, path)
    except OSError:
        if partial:
            Path(partial).unlink(missing_ok=True)
