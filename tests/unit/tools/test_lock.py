"""requirements/lock.txt is what setup installs: it must hold every direct pin of pyproject.toml
at the same version, respect the bounds of requirements/constraints.txt, and give every package
its hashes (pip's --require-hashes refuses the whole lock otherwise)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[3]
LOCK = REPO / "requirements" / "lock.txt"


def locked() -> dict[str, tuple[str, list[str]]]:
    """{name: (version, hashes)} from the lock's `name==version \\` lines and their hash lines."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^ ;\\]+)", line)
        if match:
            current = canonicalize_name(match.group(1))
            entries[current] = (match.group(3), [])
        elif current and (hashed := re.match(r"^\s+--hash=(sha256:[0-9a-f]{64})", line)):
            entries[current][1].append(hashed.group(1))
    return entries


def direct_pins() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [Requirement(text) for text in project["dependencies"] + project["optional-dependencies"]["dev"]]


def test_the_lock_is_not_empty_and_every_package_has_hashes():
    entries = locked()
    assert len(entries) > 50
    assert not [name for name, (_, hashes) in entries.items() if not hashes]


def test_every_direct_pin_is_locked_at_its_version():
    entries = locked()
    problems = []
    for requirement in direct_pins():
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"pyproject.toml: {requirement} is not pinned exactly"
        version = entries.get(canonicalize_name(requirement.name), (None,))[0]
        if version != specifier.version:
            problems.append(f"{requirement.name}: pyproject.toml pins {specifier.version}, the lock has {version}")
    assert not problems, "run `make lock`:\n" + "\n".join(problems)


def test_the_lock_respects_the_constraints():
    entries = locked()
    for line in (REPO / "requirements" / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            bound = Requirement(line)
            version = entries[canonicalize_name(bound.name)][0]
            assert bound.specifier.contains(version), f"{bound.name} {version} breaks {bound}: run `make lock`"
