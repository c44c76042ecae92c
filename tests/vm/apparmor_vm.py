"""What the VM tests ask of AppArmor on a real kernel: which profile confines a service's process,
what the kernel refused in a profile's name, and aa-status kept as evidence of the run.

A denial is read where the kernel's audit messages go: the kernel log while auditd is not running,
auditd's log once it is (the baseline's kernel controls start it), so both are read.
"""

from __future__ import annotations

import re
import shlex

from backup_vm import sh

# Every audit record of AppArmor's, from whichever log holds it.
AUDIT_RECORDS = (
    "{ journalctl -k -o cat --no-pager; cat /var/log/audit/audit.log 2>/dev/null; } | grep 'apparmor=' || true"
)


def confinement(vm, pid: int) -> str:
    """The label the kernel gives the process: "NAME (enforce)", or "unconfined"."""
    return sh(vm, f"cat /proc/{pid}/attr/current").strip().rstrip("\x00")


def main_pid(vm, unit: str) -> int:
    pid = int(sh(vm, f"systemctl show -p MainPID --value {shlex.quote(unit)}").strip())
    assert pid > 0, f"{unit} is not running"
    return pid


def unit_labels(vm, unit: str) -> list[str]:
    """The label the kernel gives each process of ``unit`` (its cgroup's), in one round trip."""
    listing = sh(
        vm, f"for p in $(cat /sys/fs/cgroup/system.slice/{unit}/cgroup.procs); do cat /proc/$p/attr/current; echo; done"
    )
    return [line.strip("\x00") for line in listing.splitlines() if line.strip("\x00")]


def denials(vm, profile: str) -> list[dict]:
    """Every DENIED record of ``profile``, as {field: value}."""
    found = []
    for line in sh(vm, AUDIT_RECORDS).splitlines():
        if 'apparmor="DENIED"' in line and f'profile="{profile}"' in line:
            found.append(dict(re.findall(r'(\w+)="([^"]*)"', line)))
    return found


def record_aa_status(vm, name: str) -> dict[str, list[str]]:
    """aa-status as the operator reads it, kept in the test's output directory, and its sections:
    {"N profiles are in enforce mode.": [profile, ...], "N processes are in enforce mode.":
    ["/usr/bin/rclone (590) landingzone-restic-rest", ...], ...} with the counts dropped from the keys.
    (The text, not --json: Debian 12's aa-status writes JSON without the comma between two programs'
    processes, which no parser reads.)"""
    text = sh(vm, "aa-status")
    (vm.workdir / f"aa-status-{name}.txt").write_text(text)
    sections: dict[str, list[str]] = {}
    heading = None
    for line in text.splitlines():
        if line.startswith((" ", "\t")) and heading is not None:
            sections[heading].append(line.strip())
        else:
            heading = re.sub(r"^\d+ ", "", line.strip())
            sections[heading] = []
    return sections


def assert_enforced(vm, status: dict[str, list[str]], profile: str, unit: str) -> None:
    """The profile is loaded in enforce mode and the unit's main process runs in it, as aa-status and
    the kernel's label of the process say."""
    assert profile in status["profiles are in enforce mode."], status
    pid = main_pid(vm, unit)
    assert confinement(vm, pid) == f"{profile} (enforce)"
    enforced = [line.split() for line in status["processes are in enforce mode."]]
    assert [f"({pid})", profile] in [words[-2:] for words in enforced], status["processes are in enforce mode."]


def assert_denied_and_logged(vm, profile: str, command: str, path: str) -> str:
    """``command``, run as root in ``profile``, fails to open ``path``, and the kernel logged it
    in the profile's name. Returns what the command printed (never the file's content)."""
    before = len(denials(vm, profile))
    attempt = sh(vm, f"aa-exec -p {shlex.quote(profile)} -- {command} 2>&1; echo rc=$?")
    assert not attempt.rstrip().endswith("rc=0"), f"{profile}: the forbidden command succeeded"
    logged = []
    for _ in range(20):
        logged = [record for record in denials(vm, profile)[before:] if record.get("name") == path]
        if logged:
            break
        sh(vm, "sleep 0.5")
    assert logged, f"no denial of {path} logged for {profile}; the command said: {attempt[-400:]}"
    assert logged[0]["operation"] == "open" and "r" in logged[0]["requested_mask"], logged[0]
    return attempt


def assert_runs_no_shell(vm, profile: str) -> None:
    """Code run in ``profile`` (the shell aa-exec starts in it stands in for it) may start no shell,
    and the kernel logged the refused exec in the profile's name."""
    before = len(denials(vm, profile))
    attempt = sh(
        vm, f"aa-exec -p {shlex.quote(profile)} -- /bin/sh -c 'exec /bin/sh -c \"echo started\"' 2>&1; echo rc=$?"
    )
    assert "started" not in attempt and not attempt.rstrip().endswith("rc=0"), attempt
    refused = [d for d in denials(vm, profile)[before:] if d.get("operation") == "exec"]
    assert refused and refused[0]["name"] == "/usr/bin/dash" and refused[0]["denied_mask"] == "x", refused
