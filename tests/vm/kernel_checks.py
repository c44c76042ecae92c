"""Checks of the live kernel state of a hardened lab VM, against the catalog.

Each check reads the running system over SSH (never the files the engine
wrote), so it proves that the controls took effect after a reboot rather than
that the configuration exists.
"""

import re
import shlex

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


# auditctl prints an unset login uid as -1, whichever way the rule spelt it.
UNSET_UID = {"unset": "-1", "4294967295": "-1"}
COMPARISON = re.compile(r"^(\w+)(!=|>=|<=|=|>|<|&=|&)(.*)$")


def _field(text: str, *, symmetric: bool = False) -> str:
    """One -F or -C condition in a canonical spelling."""
    match = COMPARISON.match(text)
    if not match:
        return text
    left, operator, right = match.groups()
    right = UNSET_UID.get(right, right).rstrip("/")
    if symmetric and operator in ("=", "!="):
        left, right = sorted((left, right))
    return f"{left}{operator}{right}"


def audit_rule_signature(rule: str) -> tuple:
    """What makes an audit rule itself, in a form shared by the rule as written
    and as `auditctl -l` prints it back, which reorders syscalls and fields,
    writes `-k key` as `-F key=key`, `unset` as -1, a missing -S as `-S all`,
    swaps the sides of -C comparisons and drops a directory's trailing slash."""
    words = shlex.split(rule)
    watch, permissions, action, key = None, None, None, None
    syscalls: set[str] = set()
    fields: set[str] = set()
    for flag, value in zip(words, words[1:], strict=False):
        if flag == "-w":
            watch = value.rstrip("/")
        elif flag == "-p":
            permissions = "".join(sorted(value))
        elif flag == "-a":
            action = ",".join(sorted(value.split(",")))
        elif flag == "-k":
            key = value
        elif flag == "-S":
            syscalls.update(value.split(","))
        elif flag == "-F" and value.startswith("key="):
            key = value.removeprefix("key=")
        elif flag in ("-F", "-C"):
            fields.add(_field(value, symmetric=flag == "-C"))
    if watch:
        return ("watch", watch, permissions, key)
    return ("syscall", action, frozenset(syscalls - {"all"}), frozenset(fields), key)


def assert_audit_rules_loaded_and_locked(vm: LabVm, controls: list[dict]) -> None:
    rules = [control["params"]["rule"] for control in controls]
    control_rules = [rule for rule in rules if rule.split()[0] in ("-e", "-b", "-f", "-r", "--backlog_wait_time")]
    wanted = {audit_rule_signature(rule): rule for rule in rules if rule not in control_rules}
    listed = vm.ssh("sudo -n auditctl -l")
    # Kept with the run's other output: what the kernel had loaded, for whoever reads a failure.
    (vm.workdir / "auditctl-l.txt").write_text(listed, encoding="utf-8")
    loaded = {audit_rule_signature(line) for line in listed.splitlines() if line.startswith(("-w", "-a"))}
    missing = [rule for signature, rule in wanted.items() if signature not in loaded]
    assert not missing, "audit rules of the catalog are not loaded in the kernel:\n" + "\n".join(missing)
    status = dict(line.split(None, 1) for line in vm.ssh("sudo -n auditctl -s").splitlines() if " " in line)
    if "-e 2" in control_rules:
        assert status.get("enabled") == "2", f"the audit rules are not locked (enabled {status.get('enabled')})"
