#!/usr/bin/env python3
"""Write references/<list>.yml, the ids a catalog may cite, from a framework library of the
ciso-assistant-community project (backend/library/libraries/<file>.yaml).

    python tools/reference_lists.py cyfun-2025 LIBRARY.yaml --commit SHA

A list keeps facts only: each requirement's id, its assurance level where the framework has
levels, its key-measure and governance flags (CyFun) and a short title. It never copies a
requirement's text. Sections are left out: a catalog cites recommendations, not the headings
above them. The list names the repository, path and commit its ids were taken from, so that
anyone can check them against the same file.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

REPOSITORY = "intuitem/ciso-assistant-community"
LIBRARY_DIR = "backend/library/libraries"
REFERENCES = Path(__file__).resolve().parent.parent / "references"

# Per list: the library file, the implementation groups that are levels (in order) and what
# the library prefixes ids with (CyFun 2023 writes BASIC_PR.AC-1.1 for the CCB's PR.AC-1.1).
# `edition` names the framework and its version; the library's name or description must say it.
# `under_parent`: a requirement id starts with its subcategory's (PR.AC-3.4 under PR.AC-3). The
# CyFun 2023 library misspells two as R.AC-3.4 and R.AC-3.5; those are written with the CCB's
# id and keep the library's spelling as `source_id`, so the correction stays visible.
CYFUN_LEVELS = {"B": "basic", "I": "important", "E": "essential"}
PROFILES = {
    "cyfun-2023": {
        "file": "ccb-cff-2023-03-01.yaml",
        "edition": "CyberFundamentals Framework - 2023-03-01",
        "levels": CYFUN_LEVELS,
        "under_parent": True,
    },
    "cyfun-2025": {
        "file": "cyfun2025.yaml",
        "edition": "Version 2025-10-01",
        "levels": CYFUN_LEVELS,
        "under_parent": True,
    },
    "cis-debian-12": {
        "file": "cis-benchmark-debian-12.yaml",
        "edition": "CIS Debian Linux 12 Benchmark v2.0.0",
        "levels": {},
    },
    "cis-debian-13": {
        "file": "cis-benchmark-debian-13.yaml",
        "edition": "CIS Debian Linux 13 Benchmark v1.0.0",
        "levels": {},
    },
    "cis-windows-11": {
        "file": "cis-benchmark-windows-11.yaml",
        "edition": "CIS Microsoft Windows 11 Enterprise Benchmark v5.0.1",
        "levels": {},
    },
    "anssi-bp-028": {
        "file": "anssi-recommandations-configuration-systeme-gnu-linux.yaml",
        "edition": "fr_np_linux_configuration-v2.0",
        "levels": {"M": "minimal", "I": "intermediary", "R": "enhanced", "E": "high"},
    },
}
LEVEL_PREFIX = re.compile(r"^(BASIC|IMPORTANT|ESSENTIAL)_")
# Typographic quotes become ASCII ones: ansible-test sanity refuses the others in a collection.
ASCII_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
KEY_GROUPS = {"BK", "IK", "EK"}
GOVERNANCE_GROUPS = {"BG", "IG", "EG"}


class _IndentedDumper(yaml.SafeDumper):
    """Indents nested mappings the way yamllint's default rules want."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _title(node: dict, nodes_by_urn: dict, control_names: dict) -> str:
    """The node's own name; else the name of the reference control it implements (CyFun 2025);
    else the name of the nearest heading above it (CyFun 2023 names only its categories)."""
    if node.get("name"):
        return node["name"]
    for urn in node.get("reference_controls") or []:
        if control_names.get(urn):
            return control_names[urn]
    parent = nodes_by_urn.get(node.get("parent_urn"))
    while parent is not None:
        if parent.get("name"):
            return parent["name"]
        parent = nodes_by_urn.get(parent.get("parent_urn"))
    raise SystemExit(f"{node['ref_id']}: no name, reference control or named heading to title it with")


def _under_parent(ref_id: str, parent: dict | None) -> str:
    """The id as its subcategory numbers it: PR.AC-3 and requirement 4 make PR.AC-3.4."""
    if parent is None or ref_id.startswith(f"{parent['ref_id']}."):
        return ref_id
    number = ref_id.rsplit(".", 1)[-1]
    if not number.isdigit():
        raise SystemExit(f"{ref_id}: not under {parent['ref_id']}, and no requirement number to put it there")
    return f"{parent['ref_id']}.{number}"


def _entry(node: dict, levels: dict, title: str) -> dict:
    groups = set(node.get("implementation_groups") or [])
    entry = {}
    ordered = [name for code, name in levels.items() if code in groups]
    if levels:
        if not ordered:
            raise SystemExit(f"{node['ref_id']}: no level among {sorted(groups)}")
        entry["level"] = ordered[0]  # the lowest level that asks for it; the higher ones include it
    if groups & KEY_GROUPS:
        entry["key_measure"] = True
    if groups & GOVERNANCE_GROUPS:
        entry["governance"] = True
    entry["title"] = " ".join(title.split()).translate(ASCII_QUOTES)
    return entry


def build(name: str, library: dict, commit: str) -> dict:
    profile = PROFILES[name]
    objects = library["objects"]
    framework = objects["framework"]
    nodes = framework["requirement_nodes"]
    nodes_by_urn = {node["urn"]: node for node in nodes}
    control_names = {control["urn"]: control.get("name") for control in objects.get("reference_controls") or []}
    ids = {}
    for node in nodes:
        if not node.get("assessable"):
            continue
        source_id = LEVEL_PREFIX.sub("", str(node["ref_id"]))
        ref_id = (
            _under_parent(source_id, nodes_by_urn.get(node.get("parent_urn")))
            if profile.get("under_parent")
            else source_id
        )
        if ref_id in ids:
            raise SystemExit(f"{ref_id}: listed twice")
        ids[ref_id] = _entry(node, profile["levels"], _title(node, nodes_by_urn, control_names))
        if ref_id != source_id:
            ids[ref_id]["source_id"] = source_id
    said = f"{library.get('name')} {library.get('description')}"
    if profile["edition"] not in said:
        raise SystemExit(f"{name}: the library does not say {profile['edition']!r}; check the edition before updating")
    source = {
        "title": str(library.get("name") or framework["name"]),
        "edition": profile["edition"],
        "library_version": library.get("version"),
        "repository": REPOSITORY,
        "path": f"{LIBRARY_DIR}/{profile['file']}",
        "commit": commit,
    }
    return {"source": source, "levels": list(profile["levels"].values()), "ids": ids}


def render(name: str, data: dict) -> str:
    header = (
        "---\n"
        f"# The ids of {data['source']['title']} a control may cite, with their level and a short title.\n"
        "# Generated by tools/reference_lists.py from the library named under source; regenerate, do not edit.\n"
    )
    return header + yaml.dump(data, Dumper=_IndentedDumper, sort_keys=False, allow_unicode=True, width=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("list", choices=sorted(PROFILES), help="which list to write")
    parser.add_argument("library", type=Path, help=f"the library file, from {REPOSITORY}/{LIBRARY_DIR}")
    parser.add_argument("--commit", required=True, help="the commit of that repository the file was read at")
    parser.add_argument("--output", type=Path, default=REFERENCES, help="directory to write <list>.yml into")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[0-9a-f]{40}", args.commit):
        parser.error("--commit: the full 40-character commit id")
    library = yaml.safe_load(args.library.read_text(encoding="utf-8"))
    target = args.output / f"{args.list}.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(args.list, build(args.list, library, args.commit)), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
