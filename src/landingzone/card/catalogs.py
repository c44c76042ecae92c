"""The control ids a waiver may name: those of every role's catalog in the checkout."""

from pathlib import Path

import yaml

from landingzone.errors import LandingzoneError

# The catalogs are the checkout's own files, read on every command: libyaml's safe loader reads
# them about ten times faster than PyYAML's own, where it is built in.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def catalog_files(root: Path) -> list[Path]:
    return sorted(Path(root).glob("roles/*/controls/*.yml"))


def catalog_roles(root) -> dict[str, str]:
    """Every control id of roles/<role>/controls/*.yml, with the role whose catalog has it
    (each file a mapping {area: [control, ...]})."""
    roles: dict[str, str] = {}
    for path in catalog_files(Path(root)):
        try:
            catalog = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
        except yaml.YAMLError as exc:
            raise LandingzoneError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(catalog, dict):
            raise LandingzoneError(f"{path}: a catalog is a mapping of area name to a list of controls")
        for area, controls in catalog.items():
            for index, control in enumerate(controls or []):
                if not isinstance(control, dict) or not isinstance(control.get("id"), str):
                    raise LandingzoneError(f"{path}: {area}[{index}]: a control needs an id")
                roles[control["id"]] = path.parent.parent.name
    return roles


def known_control_ids(root) -> set[str]:
    """Every control id of every role's catalog in the checkout."""
    return set(catalog_roles(root))
