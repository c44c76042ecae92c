"""The secret values of a municipality, so they can be redacted everywhere.

Secrets are whatever the vault protects in its inventory and card (inline
`!vault` values and whole vault-encrypted files) plus the plain values of
variables that a role declares `no_log` in its argument_specs. Reading them also
proves, before any job starts, that every vault value opens with the password.
"""

from collections.abc import Iterator
from pathlib import Path

import yaml
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.yaml_limits import load_bounded

from landingzone.card.catalogs import SAFE_LOADER
from landingzone.errors import LandingzoneError
from landingzone.runner.vault import decrypt
from landingzone.secret_length import MIN_SECRET_LENGTH, too_short
from landingzone.ssh_trust import known_hosts_of

VAULT_HEADER = "$ANSIBLE_VAULT;"
INVENTORY_SUFFIXES = {".yml", ".yaml", ".json", ""}


class VaultText(str):
    """A `!vault` value as written in YAML: its ciphertext."""


# libyaml's parser where it is built in (about five times faster; it refuses nesting past 1,000 levels
# itself), with PyYAML's safe constructors and the bound on aliases all the same.
class _InventoryLoader(SAFE_LOADER):
    pass


_InventoryLoader.add_constructor("!vault", lambda loader, node: VaultText(loader.construct_scalar(node)))
_InventoryLoader.add_constructor("!unsafe", lambda loader, node: str(loader.construct_scalar(node)))


def load_yaml(path: Path, password: str | None) -> object:
    """A YAML file as data; a whole-file vault is decrypted first."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LandingzoneError(f"{path}: cannot be read: {exc}") from None
    if text.startswith(VAULT_HEADER):
        text = decrypt(password, text, f"{path}")
    try:
        return load_bounded(text, _InventoryLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise LandingzoneError(f"{path}: is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None


def _leaves(data: object, field: str = "", keys: tuple = ()) -> Iterator[tuple[str, tuple, object]]:
    """Each leaf with its field (for messages) and the mapping keys on its way (to judge it)."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, f"{field}.{key}" if field else str(key), (*keys, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaves(value, f"{field}[{index}]", keys)
    else:
        yield field, keys, data


def secrets_of_file(path: Path, password: str | None, secret_names: set[str]) -> set[str]:
    """The secrets of one inventory file: its `!vault` values, every text of a whole-file
    vault, and the plain values of variables declared no_log (every value inside one that is a
    mapping or a list). LandingzoneError, naming the
    file and field, for one shorter than MIN_SECRET_LENGTH."""
    whole_file_vault = path.read_bytes().startswith(VAULT_HEADER.encode())
    found = set()
    for field, keys, value in _leaves(load_yaml(path, password)):
        if isinstance(value, VaultText):
            secret = decrypt(password, value, f"{path}: {field}")
        elif (
            isinstance(value, str)
            # Under a no_log variable at any depth: a mapping of people to passwords is secret as a whole.
            and (whole_file_vault or not secret_names.isdisjoint(keys))
            and "{{" not in value  # a template points at a secret found elsewhere
        ):
            secret = value
        else:
            continue
        if len(secret) < MIN_SECRET_LENGTH:
            raise LandingzoneError(f"{path}: {field}: {too_short(len(secret))}")
        found.add(secret)
    return found


def inventory_files(municipality_dir: Path) -> list[Path]:
    """The municipality's YAML files; its known_hosts (public keys, never a secret) is not one."""
    return sorted(
        path
        for path in municipality_dir.rglob("*")
        if path.is_file()
        and path.suffix in INVENTORY_SUFFIXES
        and path != known_hosts_of(municipality_dir)
        and not any(part.startswith(".") for part in path.relative_to(municipality_dir).parts)
    )


def municipality_secrets(municipality_dir: Path, password: str | None, secret_names: set[str]) -> set[str]:
    found = set()
    for path in inventory_files(municipality_dir):
        found |= secrets_of_file(path, password, secret_names)
    return found


def _no_log_options(options: dict) -> Iterator[str]:
    for name, spec in (options or {}).items():
        if isinstance(spec, dict):
            if spec.get("no_log"):
                yield name
            yield from _no_log_options(spec.get("options") or {})


def secret_variable_names(root: Path) -> set[str]:
    """Every role variable declared no_log in the collection's argument_specs."""
    names = set()
    for specs_file in sorted(root.glob("roles/*/meta/argument_specs.yml")):
        specs = yaml.load(specs_file.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}
        for entry in (specs.get("argument_specs") or {}).values():
            names.update(_no_log_options(entry.get("options") or {}))
    return names
