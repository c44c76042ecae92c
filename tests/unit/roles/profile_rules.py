"""A role's AppArmor profile as apparmor_parser reads it, for the tests that hold each profile to what
its service needs: the rules with includes expanded, those an abstraction brings, the file rules."""

from __future__ import annotations

import re
import shutil
import tempfile

from hostile_strings import run

PARSER = shutil.which("apparmor_parser", path="/usr/sbin:/sbin")


def preprocessed(text: str) -> list[str]:
    """The profile's rules as the parser reads them, includes expanded; AssertionError when it refuses it."""
    with tempfile.NamedTemporaryFile("w", suffix=".profile") as profile:
        profile.write(text)
        profile.flush()
        run([PARSER, "--skip-kernel-load", "--skip-cache", "--quiet", profile.name])
        expanded = run([PARSER, "--preprocess", profile.name])
    return [line.strip() for line in expanded.splitlines() if line.strip() and not line.strip().startswith("#")]


def abstractions_only(*names: str) -> set[str]:
    """What a profile that includes only these abstractions holds, which is not the service's to answer for."""
    includes = "".join(f"  include <abstractions/{name}>\n" for name in names)
    return set(preprocessed(f"abi <abi/3.0>,\ninclude <tunables/global>\nprofile only {{\n{includes}}}\n"))


def file_rules(rules: list[str]) -> dict[str, str]:
    """{path: permissions} of the allowing file rules."""
    found = {}
    for rule in rules:
        matched = re.fullmatch(r"(/\S+|@\{\w+\}\S*)\s+([rwlkmix]+),", rule)
        if matched:
            found[matched.group(1)] = matched.group(2)
    return found
