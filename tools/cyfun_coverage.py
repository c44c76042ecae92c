#!/usr/bin/env python3
"""Generate docs/controls/cyfun-coverage.md: per CyFun edition and level, which requirements the
landing zone serves, by which controls, and which it leaves to the organisation.

    python tools/cyfun_coverage.py           # rewrite
    python tools/cyfun_coverage.py --check   # exit 1 if out of date

The sources are the control catalogs (roles/<role>/controls/*.yml: each control's level and
requirement ids in both editions), the lists of requirements (references/cyfun-2023.yml and
cyfun-2025.yml) and the landing zone's own reading of what it leaves to the organisation or
meets with other roles (references/cyfun-scope.yml).
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml
from catalog_docs import LEVELS, load_catalog, source_name
from generated_files import page_main

REPO = Path(__file__).resolve().parent.parent

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.references import EDITIONS  # noqa: E402

TARGET = Path("docs") / "controls" / "cyfun-coverage.md"
# Controls of one requirement are named one by one up to this many, then counted per area.
LIST_AT_MOST = 6


class ScopeError(Exception):
    """A scope entry that names no requirement, or a role that does not exist."""


def load(root: Path) -> dict:
    """Everything the page is made of, read from the checkout at ``root``."""
    roles = sorted(path.parent for path in (root / "roles").glob("*/controls"))
    controls = [control for role in roles for area in load_catalog(role).values() for control in area]
    lists = {}
    for edition in EDITIONS:
        lists[edition] = yaml.safe_load((root / "references" / f"cyfun-{edition}.yml").read_text(encoding="utf-8"))
    scope = yaml.safe_load((root / "references" / "cyfun-scope.yml").read_text(encoding="utf-8"))
    known_roles = {path.name for path in (root / "roles").iterdir() if path.is_dir()}
    return {"controls": controls, "lists": lists, "scope": scope, "roles": known_roles}


def _matches(key: str, requirement: str) -> bool:
    # PR.IP-1 names PR.IP-1.1 but not PR.IP-11.1.
    return requirement == key or (requirement.startswith(key) and requirement[len(key)] in ".-")


def scope_of(requirement: str, scope: dict) -> dict | None:
    """The most specific scope entry that names the requirement, or None (a technical one)."""
    keys = [key for key in scope if _matches(key, requirement)]
    return scope[max(keys, key=len)] if keys else None


def check_scope(edition: int, scope: dict, requirements: dict, roles: set[str]) -> None:
    for key, entry in scope.items():
        if not any(_matches(key, requirement) for requirement in requirements):
            raise ScopeError(f"references/cyfun-scope.yml: {edition}: {key}: names no requirement of CyFun {edition}")
        if ("organisation" in entry) == ("roles" in entry):
            raise ScopeError(f"references/cyfun-scope.yml: {edition}: {key}: needs either organisation or roles")
        unknown = sorted(set(entry.get("roles") or []) - roles)
        if unknown:
            raise ScopeError(f"references/cyfun-scope.yml: {edition}: {key}: roles: no role {', '.join(unknown)}")


def _controls_text(ids: list[str]) -> str:
    if len(ids) <= LIST_AT_MOST:
        return ", ".join(ids)
    per_area = defaultdict(int)
    for control_id in ids:
        per_area[re.sub(r"-\d+$", "", control_id)] += 1
    return f"{len(ids)}: " + ", ".join(f"{area} ×{count}" for area, count in sorted(per_area.items()))


def coverage(edition: int, data: dict) -> dict[str, list[dict]]:
    """Per level, one row per requirement of that level: its controls and how it is met."""
    level_field, ref_field = EDITIONS[edition]
    requirements = data["lists"][edition]["ids"]
    scope = data["scope"].get(edition) or {}
    check_scope(edition, scope, requirements, data["roles"])
    citing = defaultdict(list)
    for control in data["controls"]:
        for requirement in control.get(ref_field) or []:
            citing[requirement].append(control)
    rows = {level: [] for level in LEVELS}
    for requirement, entry in requirements.items():
        level = entry["level"]
        within = LEVELS[: LEVELS.index(level) + 1]
        at_level = sorted(c["id"] for c in citing[requirement] if c[level_field] in within)
        later = sorted(c["id"] for c in citing[requirement] if c[level_field] not in within)
        decided = scope_of(requirement, scope)
        if at_level:
            status = "controls"
        elif decided and "roles" in decided:
            status = "roles"
        elif decided:
            status = "organisation"
        else:
            status = "gap"
        rows[level].append(
            {
                "id": requirement,
                "entry": entry,
                "controls": at_level,
                "later": later,
                "scope": decided,
                "status": status,
            }
        )
    return rows


def _otherwise(row: dict) -> str:
    decided = row["scope"]
    if row["status"] == "controls":
        return ""
    if row["status"] == "gap":
        said = "**gap**"
    elif "roles" in decided:
        said = f"roles {', '.join(decided['roles'])}: {decided['by']}"
    else:
        said = f"organisation: {decided['organisation']}"
    later = f"; controls at a higher level: {_controls_text(row['later'])}" if row["later"] else ""
    return said + later


def _flags(entry: dict) -> str:
    return ", ".join(flag for flag, key in (("key", "key_measure"), ("governance", "governance")) if entry.get(key))


def render(data: dict) -> str:
    lines = [
        "# CyberFundamentals coverage",
        "",
        "Generated by `tools/cyfun_coverage.py` from the control catalogs (`roles/*/controls/`), the lists of",
        "requirements (`references/cyfun-2023.yml`, `references/cyfun-2025.yml`) and what the landing zone leaves",
        "to the organisation or meets with other roles (`references/cyfun-scope.yml`): edit those, not this page.",
        "",
        "For each edition and assurance level, every requirement that level adds, with the controls that serve it",
        "on a host at that level (a level includes the levels below it), and otherwise who meets it: another role",
        "of the landing zone, or the organisation (governance, training, contracts, physical security, incident",
        "handling). **gap** marks a requirement nothing in the landing zone serves at that level. Key measures",
        "and governance measures are flagged as the framework flags them.",
    ]
    for edition in EDITIONS:
        source = data["lists"][edition]["source"]
        rows = coverage(edition, data)
        lines += ["", f"## CyFun {edition}: {source_name(source)}", ""]
        lines += [
            "| level | requirements | served by controls | by other roles | left to the organisation | gaps |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for level in LEVELS:
            count = defaultdict(int)
            for row in rows[level]:
                count[row["status"]] += 1
            lines.append(
                f"| {level} | {len(rows[level])} | {count['controls']} | {count['roles']} "
                f"| {count['organisation']} | {count['gap']} |"
            )
        for level in LEVELS:
            lines += ["", f"### CyFun {edition} {level}: {len(rows[level])} requirements", ""]
            lines += ["| requirement | title | flags | controls at this level | otherwise |", "|---|---|---|---|---|"]
            for row in rows[level]:
                cells = [
                    row["id"],
                    row["entry"]["title"],
                    _flags(row["entry"]),
                    _controls_text(row["controls"]) or "–",
                    _otherwise(row),
                ]
                lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    build = lambda root: render(load(root))  # noqa: E731
    return page_main(argv, __doc__.splitlines()[0], build, TARGET, "python tools/cyfun_coverage.py", ScopeError)


if __name__ == "__main__":
    sys.exit(main())
