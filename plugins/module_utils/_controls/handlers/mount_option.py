"""mount_option: options of a mount point in /etc/fstab, and live by remounting where possible."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import textedit
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_LIVE, Action

PARAMS = {
    "mountpoint": param("path", required=True),
    "fstype": param("str"),
    "source": param("str"),
    "options": param("list", required=True, elements="str"),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`mountpoint`, `fstype`, `source`, `options`"
DOC_MANAGES = "`/etc/fstab`; live remount where possible, else `reboot_required`"


FSTAB = "/etc/fstab"
OPPOSITES = {"nodev": "dev", "nosuid": "suid", "noexec": "exec", "ro": "rw"}


def _entry(text, mountpoint):
    """(line index, fields) of the fstab entry for the mount point, or (None, None)."""
    for index, line in enumerate(textedit.ensure_text(text).splitlines()):
        fields = line.split()
        if not textedit.is_comment(line) and len(fields) >= 4 and fields[1] == mountpoint:
            return index, fields
    return None, None


def _live_options(ctx, mountpoint):
    options = None
    for line in textedit.ensure_text(ctx.read_text("/proc/mounts")).splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[1] == mountpoint:
            options = fields[3].split(",")  # the last one listed is the mount on top
    return options


def _merged(current, wanted):
    drop = {OPPOSITES.get(option) for option in wanted}
    merged = [option for option in current if option not in drop and option not in wanted]
    return merged + list(wanted)


def check(params, ctx):
    mountpoint, wanted = params["mountpoint"], params["options"]
    _, fields = _entry(ctx.read_text(FSTAB), mountpoint)
    persistent = fields[3].split(",") if fields else None
    live = _live_options(ctx, mountpoint)
    problems = []
    finding = Finding(
        compliant=False,
        found={"fstab": persistent, "live": live},
        expected={"options": wanted},
    )
    if persistent is None:
        problems.append(f"{mountpoint} has no entry in {FSTAB}")
        if not (params["source"] and params["fstype"]):
            finding.fixable = False
            problems.append("it needs its own filesystem (give source and fstype to add a tmpfs-style entry)")
    elif set(wanted) - set(persistent):
        problems.append(f"{FSTAB} lacks {sorted(set(wanted) - set(persistent))}")
    live_missing = set(wanted) - set(live or [])
    if live is None:
        problems.append(f"{mountpoint} is not mounted")
        finding.reboot_required = finding.fixable
    elif live_missing:
        problems.append(f"mounted without {sorted(live_missing)}")
        if ctx.host_kind == "container":
            finding.live_reason = f"no remount in a container; persistent setting in {FSTAB}"
    finding.compliant = not problems
    finding.reason = "; ".join(problems)
    return finding


def fix(params, ctx, finding):
    mountpoint, wanted = params["mountpoint"], params["options"]
    text = ctx.read_text(FSTAB)
    index, fields = _entry(text, mountpoint)
    lines = textedit.ensure_text(text).splitlines()
    if fields is None:
        lines.append(f"{params['source']} {mountpoint} {params['fstype']} {','.join(['defaults', *wanted])} 0 0")
    elif set(wanted) - set(fields[3].split(",")):
        fields[3] = ",".join(_merged(fields[3].split(","), wanted))
        lines[index] = "\t".join(fields)
    ctx.tx.stage_text(FSTAB, "\n".join(lines) + "\n")
    live = finding.found["live"]
    if live is not None and set(wanted) - set(live) and not finding.live_reason:
        ctx.tx.add_action(
            Action(
                key=("remount", mountpoint),
                description=f"remount {mountpoint}",
                phase=PHASE_LIVE,
                argv=["mount", "-o", "remount," + ",".join(wanted), mountpoint],
                requires=[FSTAB],
                reboot_on_failure=True,  # busy or special filesystems: the fstab change waits for a reboot
            )
        )
