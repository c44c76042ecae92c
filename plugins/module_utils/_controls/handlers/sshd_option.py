"""sshd_option: one option in /etc/ssh/sshd_config.d/00-landingzone.conf.

sshd keeps the FIRST value it reads for an option. Our drop-in sorts first in
sshd_config.d, so it wins as long as the main sshd_config includes the directory before
setting the option itself; the check verifies that too, and the fix comments such a line out.

Our line is not the whole story: a drop-in sorted before ours, a Match block anywhere (its
value overrides the global one for the logins it matches) or an Include elsewhere can undo
it. So once our line is right, the check judges what sshd applies: `sshd -T`, asked for each
login that must keep working (the operator's, from where the run came), on the files as they
will be; and it reads every Match block, which may serve logins sshd -T was not asked about.
Where sshd cannot be asked (not installed, or it refuses the files), the files alone are read,
and the finding says so and why. A line in another file is not ours to remove: the control then
fails for a person to act, naming the file, and the fix leaves it alone.
"""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access import sshd
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.sshd_values import (
    BadValue,
    canonical,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.view import StagedView
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import (
    OPTION_WORD,
    check_one_line,
    fail,
    param,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_RELOAD, Action

PARAMS = {
    "option": param("str", required=True),
    "value": param("scalar", required=True),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`option`, `value`"
DOC_MANAGES = (
    "`/etc/ssh/sshd_config.d/00-landingzone.conf`, validated with `sshd -t`, ssh reloaded; passes only "
    "when sshd applies it (`sshd -T -C` for the operator's login, values compared in one spelling: `1m` ="
    " `60`, `verbose` = `VERBOSE`) and no Match block says otherwise; where sshd cannot be asked, the "
    "files alone (`judged_by` says which, and why); a drop-in read before ours or a Match block that "
    "undoes it fails the control, naming the file, and is left for a person"
)


def validate(control_id, params):
    if not OPTION_WORD.match(params["option"]):
        fail(control_id, "params.option", f"not a single option word: {params['option']!r}")
    check_one_line(control_id, "params.value", params["value"])


FILE = "/etc/ssh/sshd_config.d/00-landingzone.conf"
MAIN = "/etc/ssh/sshd_config"
DROPIN_INCLUDE = "Include /etc/ssh/sshd_config.d/*.conf"
FILES_ONLY = "the files only"


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


def _comparable(option, value):
    """canonical(), or the bare text when sshd itself would refuse it (it then differs from ours)."""
    try:
        return canonical(option, value)
    except BadValue:
        return f"unreadable: {value}"


def _connections(ctx):
    """sshd -T's -C for each login that must keep working; [None] (sshd's global answer) without one."""
    access = getattr(ctx, "access", None)
    if access is None:
        return [None]
    specs = [
        sshd.connection_spec(name, point.addr, point.port, point.local)
        for name in access.login_accounts()
        for point in access.points()
    ]
    return specs or [None]


def _applied(ctx, option):
    """({connection: canonical value} sshd -T applies, judged_by); None for the answers when sshd
    cannot be asked or does not print the option."""
    answers = {}
    for spec in _connections(ctx):
        try:
            options = sshd.dump(ctx, StagedView(ctx), spec)
        except sshd.SshdUnavailable as error:
            return None, f"{FILES_ONLY} ({error})"
        if option not in options:
            return None, f"{FILES_ONLY} (sshd -T does not print {option})"
        answers[spec or "global"] = _comparable(option, " ".join(options[option]))
    asked = " and ".join(f"sshd -T -C {spec}" for spec in answers if spec != "global")
    return answers, asked or "sshd -T (no login to match was given: Match blocks are read from the files)"


def _describe(setting):
    where = f"{setting.path}: {setting.match}: " if setting.match else f"{setting.path}: "
    return f"{where}{setting.keyword} {setting.value}"


def _undoing(ctx, option, wanted, answers):
    """The lines of other files that undo ours: every Match block with another value (it
    overrides ours for the logins it matches), and the global lines that give what sshd -T
    applies instead of ours, or, with no sshd to ask, the drop-ins sorted before ours (sshd
    keeps the first value it reads; a list option adds every line up)."""
    found = [s for s in sshd.settings(StagedView(ctx), option) if s.path != FILE and not s.before_dropins]
    other = [s for s in found if _comparable(option, s.value) != wanted]
    in_match = [s for s in other if s.match]
    if answers is None:
        in_the_way = [s for s in other if not s.match and s.path != sshd.MAIN and s.path < FILE]
    else:
        applied = {value for value in answers.values() if value != wanted}
        accumulates = option in sshd.LIST_OPTIONS
        in_the_way = [
            s for s in other if not s.match and applied and (accumulates or _comparable(option, s.value) in applied)
        ]
    return [_describe(s) for s in in_match + in_the_way]


def check(params, ctx):
    option, value = params["option"].lower(), textedit.normalise(params["value"])
    dropin = [
        _value_of(line) for line in textedit.ensure_text(ctx.read_text(FILE)).splitlines() if _option_of(line) == option
    ]
    early, included = _main_before_include(ctx, option)
    wanted = canonical(option, value)
    early_conflicts = [line for line in early if _comparable(option, _value_of(line)) != wanted]
    problems = []
    if [_comparable(option, v) for v in dropin] != [wanted]:
        problems.append(f"{FILE} sets {params['option']} to {dropin or 'nothing'}")
    if not included:
        problems.append(f"{MAIN} does not include the sshd_config.d drop-ins")
    if early_conflicts:
        problems.append(f"{MAIN} sets {params['option']} before the drop-ins: {early_conflicts}")
    answers, judged_by = (
        (None, f"{FILES_ONLY} (sshd -T judges once {FILE} is right)") if problems else _applied(ctx, option)
    )
    undone_by = _undoing(ctx, option, wanted, answers)
    wrong = {spec: applied for spec, applied in (answers or {}).items() if applied != wanted}
    found = {
        "dropin": dropin,
        "main_includes_dropins": included,
        "main_overrides": early_conflicts,
        "applied": answers,
        "judged_by": judged_by,
        "undone_by": undone_by,
    }
    expected = {
        "dropin": [value],
        "main_includes_dropins": True,
        "main_overrides": [],
        "applied": wanted,
        "undone_by": [],
    }
    if wrong:
        problems.append(
            "sshd applies "
            + "; ".join(f"{params['option']} {applied} ({spec})" for spec, applied in wrong.items())
            + (f", not {wanted}" if undone_by else f", not {wanted}, and no file read here sets it so")
        )
    if undone_by:
        problems.append(f"undone by {'; '.join(undone_by)}: a person must remove or change that line")
    reason = "; ".join(problems)
    if problems and (undone_by or wrong):
        reason += f" (judged by {judged_by})"
    return Finding(
        compliant=not problems,
        found=found,
        expected=expected,
        reason=reason,
        fixable=not (undone_by or wrong),
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
