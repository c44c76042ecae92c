"""apparmor_profile_mode: every profile the kernel has loaded is in one of the allowed modes.

Judged by the kernel's own list (/sys/kernel/security/apparmor/profiles). A profile in complain
mode where only enforce is allowed is switched as aa-enforce does it: the complain flag comes off
its file under /etc/apparmor.d (and its force-complain link goes), then apparmor_parser loads
the file again. Any other mode (kill, unconfined, a profile named by a variable) is reported for
a person to decide: the fix never guesses what a profile was meant to be.
"""

from __future__ import annotations

import os
import re

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import apparmor, textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import fail, param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_LIVE, Action

MODES = ("enforce", "complain")
PARAMS = {"modes": param("list", required=True, elements="str")}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`modes` (allowed: `enforce`, `complain`)"
DOC_MANAGES = (
    "the kernel's loaded profiles; complain to enforce by taking the flag off the profile's file under "
    "`/etc/apparmor.d` and `apparmor_parser --replace`"
)

# A top-level profile's first line: `profile NAME [ATTACHMENT] [flags=(...)] {` or `/path [flags=(...)] {`.
_HEADER = re.compile(
    r"^(?P<lead>\s*)(?:profile\s+(?P<named>\"[^\"]+\"|\S+)|(?P<path>/\S+))"
    r"(?P<attachment>\s+(?!flags\b)[^\s{]+)?"
    r"(?P<flags>\s+flags\s*=\s*\((?P<flag_list>[^)]*)\))?\s*\{\s*(?:#.*)?$"
)


def validate(control_id, params):
    if not params["modes"] or set(params["modes"]) - set(MODES):
        fail(control_id, "params.modes", f"a non-empty list of {', '.join(MODES)}, got {params['modes']!r}")


def check(params, ctx):
    unjudgeable = apparmor.unjudgeable(ctx, {"modes": params["modes"]})
    if unjudgeable is not None:
        return unjudgeable
    profiles = apparmor.loaded_profiles(ctx)
    outside = {name: mode for name, mode in profiles.items() if mode not in params["modes"]}
    finding = Finding(
        compliant=bool(profiles) and not outside,
        found={"enabled": True, "profiles": apparmor.by_mode(profiles), "aa_status": apparmor.status_report(ctx)},
        expected={"enabled": True, "modes": params["modes"]},
    )
    if not profiles:
        finding.reason = "the kernel has no AppArmor profile loaded (is apparmor.service running?)"
        if "apparmor" in ctx.tx.packages["present"]:
            # Check mode installs nothing: an apply installs the package first, which loads them.
            finding.reason = (
                "the kernel has no AppArmor profile loaded yet: the apparmor package this run installs loads them"
            )
        finding.fixable = False
        return finding
    finding.reason = "; ".join(f"{name} is in {mode} mode" for name, mode in sorted(outside.items()))
    plan, finding.held_back = _plan(ctx, params, outside)
    finding.fixable = bool(plan)
    return finding


def _plan(ctx, params, outside):
    """({policy file: [profile names to enforce]}, [why the others are left as they are])."""
    files = _profile_files(ctx)
    plan, held = {}, []
    for name, mode in sorted(outside.items()):
        top = name.split("//", 1)[0]
        if mode != "complain" or "enforce" not in params["modes"]:
            held.append(f"{name} ({mode}): only complain is switched to enforce; a person decides about {mode}")
        elif top != name:
            held.append(f"{name}: a child profile's mode is set in its parent's file, which is left to a person")
        elif top not in files:
            held.append(f"{name}: no file under {apparmor.POLICY_DIR} declares it")
        else:
            plan.setdefault(files[top], []).append(top)
    return plan, held


def _profile_files(ctx):
    """{top-level profile name: its file} for the policy files of /etc/apparmor.d."""
    directory = ctx.path(apparmor.POLICY_DIR)
    names = {}
    try:
        entries = sorted(os.listdir(directory))
    except OSError:
        return names
    for entry in entries:
        path = f"{apparmor.POLICY_DIR}/{entry}"
        if entry.startswith(".") or not os.path.isfile(ctx.path(path)):
            continue
        for name in _headers(ctx.read_text(path)):
            names.setdefault(name, path)
    return names


def _headers(text):
    """{name: line index} of the profiles declared at the top level of a policy file."""
    found, depth = {}, 0
    for index, line in enumerate(textedit.ensure_text(text).splitlines()):
        code = line.split("#", 1)[0] if not line.lstrip().startswith("#include") else ""
        if depth == 0:
            match = _HEADER.match(line)
            if match:
                found[(match.group("named") or match.group("path")).strip('"')] = index
        # Globs such as /{usr/,}bin/ are balanced on their line: only a block changes the depth.
        depth = max(0, depth + code.count("{") - code.count("}"))
    return found


def _without_complain(line):
    match = _HEADER.match(line)
    if not match or not match.group("flags"):
        return line
    kept = [flag.strip() for flag in match.group("flag_list").split(",") if flag.strip() not in ("complain", "")]
    flags = f" flags=({','.join(kept)})" if kept else ""
    return line[: match.start("flags")] + flags + line[match.end("flags") :]


def fix(params, ctx, finding):
    if finding.live_reason:
        return  # a container: the host's policy, never loaded from here
    plan, _ = _plan(ctx, params, _outside(ctx, params))
    for path, names in sorted(plan.items()):
        lines = textedit.ensure_text(ctx.read_text(path)).splitlines(keepends=True)
        headers = _headers(ctx.read_text(path))
        for name in names:
            lines[headers[name]] = _without_complain(lines[headers[name]].rstrip("\n")) + "\n"
        ctx.tx.stage_text(path, "".join(lines))
        force = f"{apparmor.FORCE_COMPLAIN_DIR}/{os.path.basename(path)}"
        if ctx.tx.exists(force):
            ctx.tx.stage_text(force, None)
        ctx.tx.add_action(
            Action(
                key=("apparmor_parser", path),
                description=f"load {path} again in enforce mode",
                phase=PHASE_LIVE,
                argv=["apparmor_parser", "--replace", path],
                undo=["apparmor_parser", "--replace", path],
            )
        )


def _outside(ctx, params):
    return {name: mode for name, mode in apparmor.loaded_profiles(ctx).items() if mode not in params["modes"]}
