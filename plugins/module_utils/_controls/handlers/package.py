"""package: Debian packages present or absent; the engine batches all of them into one apt run."""

from __future__ import annotations

import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding

PARAMS = {
    "name": param("list", required=True, elements="str"),
    "state": param("str", default="present", choices=("present", "absent")),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`name` (list), `state` (`present`/`absent`)"
DOC_MANAGES = "one apt transaction for all package controls"


def validate(control_id, params):
    for name in params["name"]:
        if not re.fullmatch(r"[a-z0-9][a-z0-9+.\-]+", name):
            fail(control_id, "params.name", f"not a Debian package name: {name!r}")


STATUS_FILE = "/var/lib/dpkg/status"
# dpkg states in which a package's files are (at least partly) on disk.
ON_DISK = frozenset(
    {"installed", "half-installed", "unpacked", "half-configured", "triggers-awaited", "triggers-pending"}
)


def installed_packages(text, states=ON_DISK):
    """Names of packages dpkg has in one of ``states`` (by default: on disk), from the status
    database (all architectures)."""
    names, name = set(), None
    for line in (text or "").splitlines():
        if line.startswith("Package:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("Status:") and name:
            words = line.split(":", 1)[1].split()
            if words and words[-1] in states:
                names.add(name)
        elif not line.strip():
            name = None
    return names


def check(params, ctx):
    on_disk = installed_packages(ctx.read_text(STATUS_FILE))
    want_present = params["state"] == "present"
    wrong = [name for name in params["name"] if (name in on_disk) != want_present]
    found = {name: ("installed" if name in on_disk else "not installed") for name in params["name"]}
    expected = {name: ("installed" if want_present else "not installed") for name in params["name"]}
    verb = "not installed" if want_present else "installed"
    return Finding(
        compliant=not wrong,
        found=found,
        expected=expected,
        reason=f"{verb}: {', '.join(wrong)}" if wrong else "",
    )


def fix(params, ctx, finding):
    for name, state in finding.found.items():
        if state != finding.expected[name]:
            ctx.tx.request_package(name, params["state"])
