"""sysctl: one key in /etc/sysctl.d/60-landingzone.conf and its live value in /proc/sys."""

from __future__ import annotations

import glob
import os
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import (
    check_one_line,
    fail,
    param,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_LIVE, Action

PARAMS = {
    "key": param("str", required=True),
    "value": param("scalar", required=True),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`key`, `value`"
DOC_MANAGES = "`/etc/sysctl.d/60-landingzone.conf`, live value in `/proc/sys`"


SYSCTL_KEY = re.compile(r"^[A-Za-z0-9_.\-/]+$")


def validate(control_id, params):
    if not SYSCTL_KEY.match(params["key"]):
        fail(control_id, "params.key", f"not a sysctl key: {params['key']!r}")
    check_one_line(control_id, "params.value", params["value"])


FILE = "/etc/sysctl.d/60-landingzone.conf"
# Directories systemd-sysctl reads; for the same file name /etc wins, and across names
# the last one in lexical order wins, so a later file can silently undo ours.
SEARCH_DIRS = ("/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d")


def _dotted(key):
    return key.replace("/", ".")


def _key_of(line):
    if textedit.is_comment(line, ("#", ";")) or "=" not in line:
        return None
    return _dotted(line.split("=", 1)[0].strip().lstrip("-"))


def _value_in(text, key):
    value = None
    for line in textedit.ensure_text(text).splitlines():
        if _key_of(line) == key:
            value = textedit.normalise(line.split("=", 1)[1])
    return value


def _later_overrides(ctx, key, value):
    """Files that sort after ours and set the key to something else."""
    by_name = {}
    for directory in reversed(SEARCH_DIRS):
        for real in glob.glob(os.path.join(ctx.path(directory), "*.conf")):
            by_name[os.path.basename(real)] = os.path.join(directory, os.path.basename(real))
    overrides = []
    for name in sorted(by_name):
        if name > os.path.basename(FILE):
            other = _value_in(ctx.read_text(by_name[name]), key)
            if other is not None and other != value:
                overrides.append(by_name[name])
    return overrides


def _live_path(key):
    return "/proc/sys/" + key.replace(".", "/")


def check(params, ctx):
    key, value = _dotted(params["key"]), textedit.normalise(params["value"])
    persistent = _value_in(ctx.read_text(FILE), key)
    live_text = ctx.read_text(_live_path(key))
    live = None if live_text is None else textedit.normalise(live_text)
    overrides = _later_overrides(ctx, key, value)
    found = {"persistent": persistent, "live": live, "overridden_by": overrides}
    finding = Finding(compliant=False, found=found, expected={"persistent": value, "live": value, "file": FILE})
    problems = []
    if persistent != value:
        problems.append(f"{FILE} has {key} = {persistent}" if persistent else f"{FILE} does not set {key}")
    if overrides:
        problems.append(f"{', '.join(overrides)} set {key} differently and are read after {FILE}")
    if live is None:
        finding.live_reason = f"this kernel has no {key}; persistent setting in {FILE}"
    elif live != value:
        problems.append(f"live value is {live}")
        if not ctx.live_writable(_live_path(key)):
            finding.live_reason = (
                f"live value cannot be set here (read-only /proc/sys in a container); persistent setting in {FILE}"
            )
    finding.compliant = not problems and not finding.live_reason
    finding.reason = "; ".join(problems)
    return finding


def fix(params, ctx, finding):
    key, value = _dotted(params["key"]), textedit.normalise(params["value"])
    new_line = f"{key} = {value}"
    text = ctx.read_text(FILE)
    updated = textedit.set_line(text, lambda line: _key_of(line) == key, new_line, header=textedit.MANAGED_HEADER)
    ctx.tx.stage_text(FILE, updated, mode=0o644)
    for other in finding.found["overridden_by"]:
        commented = textedit.set_line(
            ctx.read_text(other), lambda line: _key_of(line) == key, f"# disabled by landingzone ({FILE}): {key}"
        )
        ctx.tx.stage_text(other, commented)
    live = finding.found["live"]
    if live is not None and live != value and not finding.live_reason:
        ctx.tx.add_action(
            Action(
                key=("sysctl", key),
                description=f"sysctl -w {key}",
                phase=PHASE_LIVE,
                argv=["sysctl", "-w", f"{key}={value}"],
                # Some keys need capabilities a container lacks even where /proc/sys is writable.
                container_limit=ctx.host_kind == "container",
            )
        )
