"""sshd_option: one option in /etc/ssh/sshd_config.d/00-landingzone.conf.

sshd keeps the FIRST value it reads for an option. Our drop-in sorts first in
sshd_config.d, so it wins as long as the main sshd_config includes the directory before
setting the option itself; the check verifies that too.
"""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_RELOAD, Action

FILE = "/etc/ssh/sshd_config.d/00-landingzone.conf"
MAIN = "/etc/ssh/sshd_config"
DROPIN_INCLUDE = "Include /etc/ssh/sshd_config.d/*.conf"


def _option_of(line):
    if textedit.is_comment(line):
        return None
    return line.split(None, 1)[0].lower()


def _value_of(line):
    parts = line.split(None, 1)
    return textedit.normalise(parts[1]) if len(parts) > 1 else ""


def _main_before_include(ctx, option):
    """Main-config lines that set the option before the drop-ins are read."""
    lines = textedit.ensure_text(ctx.read_text(MAIN)).splitlines()
    early = []
    for line in lines:
        word = _option_of(line)
        if word == "include" and "sshd_config.d" in line:
            return early, True
        if word == "match":
            break  # options in Match blocks are conditional; they are not our concern
        if word == option:
            early.append(line.strip())
    return early, False


def check(params, ctx):
    option, value = params["option"].lower(), textedit.normalise(params["value"])
    dropin = [
        _value_of(line) for line in textedit.ensure_text(ctx.read_text(FILE)).splitlines() if _option_of(line) == option
    ]
    early, included = _main_before_include(ctx, option)
    early_conflicts = [line for line in early if _value_of(line).lower() != value.lower()]
    problems = []
    if [v.lower() for v in dropin] != [value.lower()]:
        problems.append(f"{FILE} sets {params['option']} to {dropin or 'nothing'}")
    if not included:
        problems.append(f"{MAIN} does not include the sshd_config.d drop-ins")
    if early_conflicts:
        problems.append(f"{MAIN} sets {params['option']} before the drop-ins: {early_conflicts}")
    return Finding(
        compliant=not problems,
        found={"dropin": dropin, "main_includes_dropins": included, "main_overrides": early_conflicts},
        expected={"dropin": [value], "main_includes_dropins": True, "main_overrides": []},
        reason="; ".join(problems),
    )


def fix(params, ctx, finding):
    option, value = params["option"].lower(), textedit.normalise(params["value"])
    updated = textedit.set_line(
        ctx.read_text(FILE),
        lambda line: _option_of(line) == option,
        f"{params['option']} {value}",
        textedit.MANAGED_HEADER,
    )
    ctx.tx.stage_text(FILE, updated, mode=0o600, owner="root", group="root")
    requires = [FILE]
    if finding.found["main_overrides"] or not finding.found["main_includes_dropins"]:
        requires.append(MAIN)
        lines = textedit.ensure_text(ctx.read_text(MAIN)).splitlines()
        out = [] if finding.found["main_includes_dropins"] else [DROPIN_INCLUDE]
        for line in lines:
            if line.strip() in finding.found["main_overrides"]:
                out.append(f"# disabled by landingzone ({FILE}): {line.strip()}")
            else:
                out.append(line)
        ctx.tx.stage_text(MAIN, "\n".join(out) + "\n")
    ctx.tx.add_action(
        Action(
            key=("reload", "ssh"),
            description="reload ssh",
            phase=PHASE_RELOAD,
            argv=["systemctl", "try-reload-or-restart", "ssh.service"],
            requires=requires,
        )
    )
