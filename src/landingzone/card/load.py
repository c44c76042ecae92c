"""load_card: from a municipality.yml on disk to a checked card, or one error listing every problem."""

from collections.abc import Mapping
from pathlib import Path

import yaml

from landingzone.card.dependencies import BACKUP_SERVER_GROUP, dependency_problems
from landingzone.card.errors import CardError
from landingzone.card.fields import field_path
from landingzone.card.validation import (
    identity_problems,
    schema_problems,
    supplier_role_host_problems,
    template_problems,
)
from landingzone.card.vault import decrypt_values
from landingzone.card.vpn_networks import vpn_network_problems
from landingzone.card.workplace import workplace_problems
from landingzone.card.yaml_loading import LineIndex, parse

CARD_FILE = "municipality.yml"


def load_card(
    path,
    *,
    inventory_hosts: set[str],
    known_control_ids: set[str],
    vault_secret: bytes | None,
    inventory_groups: set[str] = frozenset(),
    roles_dir: Path | None = None,
    group_hosts: Mapping[str, set[str]] | None = None,
    kept_accounts: Mapping[str, str] | None = None,
) -> dict:
    """The card at ``path``, decrypted and checked.

    ``inventory_hosts`` (and ``inventory_groups``, which waivers may name) come from the
    municipality's inventory; ``known_control_ids`` from :func:`known_control_ids`;
    ``roles_dir`` holds the supplier roles a service may name (the collection's by default);
    ``group_hosts`` (each group's hosts), when given, lets a service's ``supplier_role`` be checked
    against the hosts site.yml installs that role on, and a backup server be refused as a
    service's dependency; ``kept_accounts`` (name: what it is) are the accounts the inventory keeps
    for the landing zone, which no person of the workplace roster may take
    (:func:`landingzone.inventory_accounts.kept_accounts`). Raises CardError naming the file and the
    field of every problem found.
    """
    path = Path(path)
    text, raw = read_card(path)
    card, vault_problems = decrypt_values(raw, vault_secret)
    broken = [problem_path for problem_path, _ in vault_problems]
    problems = list(vault_problems)
    found = schema_problems(
        card,
        inventory_hosts=set(inventory_hosts),
        inventory_groups=set(inventory_groups),
        control_ids=known_control_ids,
        roles_dir=roles_dir,
    )
    # A value that could not be decrypted has been reported once; its follow-on errors would only confuse.
    problems += [(where, message) for where, message in found if not any(where[: len(b)] == b for b in broken)]
    problems += template_problems(card)
    problems += vpn_network_problems(card)
    backup_hosts = (group_hosts or {}).get(BACKUP_SERVER_GROUP, set())
    problems += dependency_problems(card, inventory_hosts, backup_hosts)
    problems += workplace_problems(card, kept_accounts)
    if group_hosts is not None:
        problems += supplier_role_host_problems(card, group_hosts)
        problems += identity_problems(card, group_hosts)
    # The directory names the municipality for the CLI; a card copied from another one must not pass.
    if path.name == CARD_FILE and isinstance(card.get("name"), str) and card["name"] != path.parent.name:
        problems.append((("name",), f"{card['name']!r} differs from the inventory directory {path.parent.name!r}"))
    if problems:
        lines = LineIndex(text)
        ordered = sorted(problems, key=lambda problem: lines.line(problem[0]) or 0)
        raise CardError(
            path, [(field_path(where), f"{message} (line {lines.line(where)})") for where, message in ordered]
        )
    return card


def read_card(path: Path) -> tuple[str, dict]:
    """The card's text and its data, before any check against the world: CardError for a file
    that cannot be read, is no YAML, or whose aliases expand past the bound (an alias bomb)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CardError(path, [("(file)", f"cannot be read: {exc}")]) from exc
    try:
        raw = parse(text)
    except yaml.YAMLError as exc:
        raise CardError(path, [_yaml_problem(exc)]) from None
    if not isinstance(raw, dict):
        raise CardError(path, [("(top level)", "must be a mapping of the card's fields (is the file empty?)")])
    return text, raw


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    if context and context_mark:
        # The problem shows where the parser gave up; the context shows where the mistake began.
        return where, f"YAML syntax error {context} that starts on line {context_mark.line + 1}: {problem}"
    return where, f"YAML syntax error: {problem}"
