"""Checks of the live kernel state of a hardened lab VM, against the catalog.

Each check reads the running system over SSH (never the files the engine
wrote), so it proves that the controls took effect after a reboot rather than
that the configuration exists.
"""

import re
import shlex

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.audit_kernel import (
    is_control_rule,
    signature,
)
from lab_vm import LabVm


def _words(value) -> str:
    return " ".join(str(value).split())


def assert_operator_logs_in_and_sudo_works(vm: LabVm) -> None:
    assert vm.ssh("id -un").strip() == "operator"
    assert vm.ssh("sudo -n id -u").strip() == "0", "the operator lost passwordless sudo"


def assert_sysctls_live(vm: LabVm, controls: list[dict]) -> None:
    expected = {control["params"]["key"]: _words(control["params"]["value"]) for control in controls}
    output = vm.ssh("sudo -n sysctl " + " ".join(shlex.quote(key) for key in expected))
    live = {}
    for line in output.splitlines():
        key, _, value = line.partition(" = ")
        live[key.strip()] = _words(value)
    wrong = {key: (live.get(key), value) for key, value in expected.items() if live.get(key) != value}
    assert not wrong, f"live sysctl values differ from the catalog (live, expected): {wrong}"


def assert_modules_cannot_load(vm: LabVm, controls: list[dict]) -> None:
    """modprobe resolves each blacklisted module to `install /bin/false`, and
    really trying to load it fails and leaves it out of the kernel."""
    names = [control["params"]["name"] for control in controls]
    script = " ; ".join(
        f"printf '%s|%s|' {shlex.quote(name)} \"$(sudo -n modprobe -n -v {shlex.quote(name)} 2>&1 | tr '\\n' ' ')\""
        f" ; sudo -n modprobe {shlex.quote(name)} >/dev/null 2>&1 ; echo $?"
        for name in names
    )
    loaded = {line.split()[0] for line in vm.ssh("cat /proc/modules").splitlines() if line.strip()}
    problems = []
    for line in vm.ssh(script).splitlines():
        name, resolution, status = line.split("|")
        if "install /bin/false" not in resolution:
            problems.append(f"{name}: modprobe -n -v shows {resolution.strip()!r}")
        if status.strip() == "0":
            problems.append(f"{name}: modprobe succeeded")
        if name.replace("-", "_") in loaded:
            problems.append(f"{name}: is loaded")
    assert not problems, "blacklisted modules can still be loaded:\n" + "\n".join(problems)


def assert_mount_options_live(vm: LabVm, controls: list[dict]) -> None:
    problems = []
    for control in controls:
        params = control["params"]
        mountpoint = params["mountpoint"]
        found = vm.machine.ssh(f"findmnt -n -o FSTYPE,OPTIONS --mountpoint {shlex.quote(mountpoint)}", check=False)
        if found.returncode != 0:
            problems.append(f"{mountpoint}: not a mount point")
            continue
        fstype, options = found.stdout.split()
        missing = set(params["options"]) - set(options.split(","))
        if params.get("fstype") and fstype != params["fstype"]:
            problems.append(f"{mountpoint}: {fstype}, not {params['fstype']}")
        if missing:
            problems.append(f"{mountpoint}: mounted without {sorted(missing)} ({options})")
        if "noexec" in params["options"]:
            # The option is only worth something if the kernel refuses the program.
            probe = shlex.quote(f"{mountpoint.rstrip('/')}/lz-noexec-probe")
            ran = vm.machine.ssh(
                f"cp /bin/true {probe} && {probe}; status=$?; rm -f {probe}; exit $status", check=False
            )
            if ran.returncode == 0:
                problems.append(f"{mountpoint}: a program copied there runs")
    assert not problems, "mount options are not in effect:\n" + "\n".join(problems)


def assert_audit_rules_loaded_and_locked(vm: LabVm, controls: list[dict]) -> None:
    """Every rule of the catalog is in the kernel's list, compared in the one form the engine
    uses too (audit_kernel.signature, proven against real listings in the unit tests)."""
    rules = [control["params"]["rule"] for control in controls]
    control_rules = [rule for rule in rules if is_control_rule(rule)]
    wanted = {signature(rule): rule for rule in rules if rule not in control_rules}
    listed = vm.ssh("sudo -n auditctl -l")
    # Kept with the run's other output: what the kernel had loaded, for whoever reads a failure.
    (vm.workdir / "auditctl-l.txt").write_text(listed, encoding="utf-8")
    loaded = {signature(line) for line in listed.splitlines() if line.startswith(("-w", "-a"))}
    missing = [rule for key, rule in wanted.items() if key not in loaded]
    assert not missing, "audit rules of the catalog are not loaded in the kernel:\n" + "\n".join(missing)
    status = dict(line.split(None, 1) for line in vm.ssh("sudo -n auditctl -s").splitlines() if " " in line)
    if "-e 2" in control_rules:
        assert status.get("enabled") == "2", f"the audit rules are not locked (enabled {status.get('enabled')})"


def assert_audit_rules_judged_by_the_kernel(results: list[dict], controls: list[dict], *, loaded: bool) -> None:
    """Every audit_rule control of an engine result was judged by what the kernel lists (auditctl
    -l; a control rule by auditctl -s), not by its file alone; `loaded`: and the kernel showed
    every one (before the first load it showed none of them)."""
    by_id = {result["id"]: result for result in results}
    problems = []
    for control in controls:
        result = by_id[control["id"]]
        found = result["evidence"]["found"]
        judge = "auditctl -s" if is_control_rule(control["params"]["rule"]) else "auditctl -l"
        if found.get("judged_by") != judge or (loaded and found.get("loaded") is not True):
            problems.append(
                f"{control['id']} {result['status']}: judged by {found.get('judged_by')}, loaded {found.get('loaded')}"
            )
    assert not problems, "audit rules not judged by the kernel's list:\n" + "\n".join(problems)


def assert_apparmor_confines(vm: LabVm, controls: list[dict]) -> None:
    """AppArmor is on in the running kernel, every loaded profile is in a mode the catalog allows
    (the strictest of its apparmor_profile_mode controls), and no process that has a profile runs
    without it: as aa-status, AppArmor's own tool, counts them (its output kept beside the run's
    other output), and as the kernel lists the profiles itself."""
    assert vm.ssh("cat /sys/module/apparmor/parameters/enabled").strip() == "Y", "AppArmor is not enabled"
    allowed = set.intersection(*(set(control["params"]["modes"]) for control in controls))
    report = vm.ssh("sudo -n aa-status")
    (vm.workdir / "aa-status.txt").write_text(report, encoding="utf-8")
    loaded = int(re.search(r"^(\d+) profiles are loaded\.$", report, re.M).group(1))
    by_mode = {mode: int(count) for count, mode in re.findall(r"^(\d+) profiles are in (\w+) mode\.$", report, re.M)}
    assert loaded > 0, report
    assert sum(count for mode, count in by_mode.items() if mode in allowed) == loaded, report
    unconfined = re.search(r"^(\d+) processes are unconfined but have a profile defined\.$", report, re.M)
    assert unconfined and unconfined.group(1) == "0", report
    listed = vm.ssh("sudo -n cat /sys/kernel/security/apparmor/profiles").splitlines()
    outside = [line for line in listed if line.rsplit(" (", 1)[-1].rstrip(")") not in allowed]
    assert len(listed) == loaded and not outside, listed
    # A real program of the baseline runs under its profile: chrony ships one, and the kernel says so.
    label = vm.ssh("sudo -n cat /proc/$(pgrep -o -x chronyd)/attr/current").strip()
    assert label.startswith("/usr/sbin/chronyd (") and label.split("(")[1].rstrip(")") in allowed, label


def assert_apparmor_status_in_evidence(results: list[dict], controls: list[dict]) -> None:
    """The engine's evidence for each profile-mode control holds what aa-status printed on the host."""
    by_id = {result["id"]: result for result in results}
    for control in controls:
        found = by_id[control["id"]]["evidence"]["found"]
        assert "apparmor module is loaded." in (found.get("aa_status") or ""), (control["id"], found)
        assert found["profiles"], (control["id"], found)


def assert_sshd_left_unconfined(vm: LabVm) -> None:
    """Debian ships no profile for sshd: with AppArmor enforcing, the operator's way in is as wide as before."""
    assert vm.ssh("sudo -n cat /proc/$(pgrep -o -x sshd)/attr/current").strip() == "unconfined"
