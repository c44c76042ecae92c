"""A fake Debian host for the engine: a real file tree under tmp_path, fake commands only.

The fake commands keep state (units, packages, the nft table, live sysctl values) so a
test can apply, then audit again and see the host really converged. The tests import it;
conftest.py holds the fixtures.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[3] / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.engine import Engine  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.host import Host  # noqa: E402
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import (  # noqa: E402
    CommandResult,
)

OK = CommandResult(0, "", "")
PROFILES = "/sys/kernel/security/apparmor/profiles"

# Commands that only look: check mode may run these and nothing else.
READ_ONLY = {
    ("systemctl", "is-enabled"),
    ("systemctl", "is-active"),
    ("systemctl", "show"),
    ("nft", "list"),
    ("nft", "-c"),
    ("sshd", "-t"),
    ("sshd", "-T"),
    ("visudo", "-c"),
    ("rsyslogd", "-N1"),
    ("systemd-detect-virt", "--container"),
    ("auditctl", "-l"),
    ("auditctl", "-s"),
    ("aa-status",),
}


def is_read_only(argv):
    return tuple(argv[:2]) in READ_ONLY


class FakeSystem:
    """Plays the external commands the engine runs, against the tree under `root`."""

    def __init__(self, root):
        self.root = Path(root)
        self.calls = []
        self.stdin = []
        self.units = {}  # unit -> {"enabled": str, "active": str}
        self.nft_loaded = False
        self.fail = {}  # command name -> CommandResult to return instead
        self.armed = []  # systemd-run calls: the commit-confirmed timers
        self.shipped = {}  # package -> {path: text} that installing it writes
        # The kernel's audit rules, as lines auditctl -l prints (as written: the real kernel's
        # own spelling is tested on real auditctl output), and its enabled flag (2: locked).
        self.audit_rules = []
        self.audit_enabled = "1"
        self.on_restart = {}  # unit -> what restarting it changes (a process confined by its profile)

    # ---- helpers for tests ------------------------------------------------------------------
    def write(self, path, text, mode=0o644):
        real = self.root / path.lstrip("/")
        real.parent.mkdir(parents=True, exist_ok=True)
        real.write_text(text)
        os.chmod(real, mode)
        return real

    def read(self, path):
        real = self.root / path.lstrip("/")
        return real.read_text() if real.exists() else None

    def mutating_calls(self):
        return [argv for argv in self.calls if not is_read_only(argv)]

    # ---- the runner interface -------------------------------------------------------------------
    def run(self, argv, env=None, stdin=None):
        argv = list(argv)
        self.calls.append(argv)
        self.stdin.append(stdin)
        if argv[0] in self.fail:
            return self.fail[argv[0]]
        handler = getattr(self, "_" + argv[0].replace("-", "_"), None)
        return handler(argv[1:], env or {}, stdin) if handler else OK

    def _systemctl(self, args, env, stdin):
        verb, unit = args[0], args[-1]
        state = self.units.setdefault(unit, {"enabled": "disabled", "active": "inactive"})
        if verb == "is-enabled":
            return CommandResult(0 if state["enabled"] == "enabled" else 1, state["enabled"] + "\n", "")
        if verb == "is-active":
            return CommandResult(0 if state["active"] == "active" else 3, state["active"] + "\n", "")
        if verb == "show":
            # As systemd prints them: a unit it never tried to start has ConditionResult=no and no timestamp.
            evaluated = state.get("condition", "yes")
            stamp = "0" if evaluated == "never" else "35681535703"
            result = "no" if evaluated in ("no", "never") else "yes"
            return CommandResult(0, f"ConditionResult={result}\nConditionTimestampMonotonic={stamp}\n", "")
        changes = {
            "enable": {"enabled": "enabled"},
            "disable": {"enabled": "disabled"},
            "start": {"active": "active"},
            "stop": {"active": "inactive"},
            "mask": {"enabled": "masked", "active": "inactive"},
            "unmask": {"enabled": "disabled"},
        }
        state.update(changes.get(verb, {}))
        if verb in ("restart", "try-restart") and unit in self.on_restart:
            self.on_restart[unit]()
        return OK

    def _apparmor_parser(self, args, env, stdin):
        """Loads the file's top-level profiles into the fake kernel list, in the mode the file gives."""
        path = args[-1]
        forced = (self.root / f"etc/apparmor.d/force-complain/{os.path.basename(path)}").is_symlink()
        loaded = dict(line.rsplit(" ", 1) for line in (self.read(PROFILES) or "").splitlines() if line.strip())
        for line in (self.read(path) or "").splitlines():
            match = re.match(r"^(?:profile\s+(\S+)|(/\S+))(?:.*flags=\(([^)]*)\))?.*\{$", line)
            if match:
                complain = forced or "complain" in (match.group(3) or "")
                loaded[match.group(1) or match.group(2)] = "(complain)" if complain else "(enforce)"
        self.write(PROFILES, "".join(f"{name} {mode}\n" for name, mode in loaded.items()))
        return OK

    def _sshd(self, args, env, stdin):
        """`sshd -T -f FILE -C ...` as sshd answers it, for the options the lockout checks read.

        The first value of an option wins and list options add up, across Include globs in
        file order; Match blocks are not evaluated (the real sshd does that in molecule).
        `sshd -t` only validates, like the real one does when the candidate is fine.
        """
        if "-T" not in args:
            return OK
        options = {}
        self._sshd_read(Path(args[args.index("-f") + 1]), options)
        for key, value in SSHD_DEFAULTS.items():
            options.setdefault(key, [value])
        lines = [f"{key} {value}" for key, values in options.items() for value in values]
        return CommandResult(0, "\n".join(lines) + "\n", "")

    def _sshd_read(self, path, options):
        for line in path.read_text().splitlines():
            words = line.split(None, 1)
            if not words or words[0].startswith("#"):
                continue
            key, value = words[0].lower(), (words[1] if len(words) > 1 else "")
            if key == "match":
                return
            if key == "include":
                for found in sorted(Path("/").glob(value.lstrip("/"))):
                    self._sshd_read(found, options)
            elif key in SSHD_LISTS:
                options.setdefault(key, []).extend(value.split())
            elif key not in options:
                options[key] = [value.lower() if key != "authenticationmethods" else value]

    def _systemd_run(self, args, env, stdin):
        self.armed.append(args)
        return OK

    def _sysctl(self, args, env, stdin):
        key, value = args[-1].split("=", 1)
        self.write("/proc/sys/" + key.replace(".", "/"), value + "\n")
        return OK

    def _nft(self, args, env, stdin):
        if args[0] == "list":
            return OK if self.nft_loaded else CommandResult(1, "", "Error: No such file or directory")
        if args[0] == "-f":
            self.nft_loaded = True
        return OK

    def _apt_get(self, args, env, stdin):
        assert env.get("DEBIAN_FRONTEND") == "noninteractive"
        verb = args[0]
        names = [a for a in args[1:] if not a.startswith("-") and "::" not in a]
        status = self.read("/var/lib/dpkg/status") or ""
        stanzas = [s.strip() for s in status.split("\n\n") if s.strip()]
        kept = [s for s in stanzas if s.splitlines()[0].split(": ", 1)[1] not in names]
        if verb == "install":
            kept += [f"Package: {n}\nStatus: install ok installed\nArchitecture: amd64" for n in names]
            for name in names:
                for path, text in self.shipped.get(name, {}).items():
                    self.write(path, text)
        if verb in ("install", "purge"):
            self.write("/var/lib/dpkg/status", "\n\n".join(kept) + "\n")
        return OK

    def _pam_auth_update(self, args, env, stdin):
        profile = self.read(f"/usr/share/pam-configs/{args[-1]}") or ""
        modules = [line.strip() for line in profile.splitlines() if ".so" in line]
        self.write("/etc/pam.d/common-auth", (self.read("/etc/pam.d/common-auth") or "") + "\n".join(modules) + "\n")
        return OK

    def _mount(self, args, env, stdin):
        options, mountpoint = args[1].split(",", 1)[1], args[2]
        lines = (self.read("/proc/mounts") or "").splitlines()
        out = []
        for line in lines:
            fields = line.split()
            if fields[1] == mountpoint:
                fields[3] = ",".join(dict.fromkeys(fields[3].split(",") + options.split(",")))
            out.append(" ".join(fields))
        self.write("/proc/mounts", "\n".join(out) + "\n")
        return OK

    def _useradd(self, args, env, stdin):
        name, shell = args[-1], args[args.index("--shell") + 1]
        self.write("/etc/passwd", self.read("/etc/passwd") + f"{name}:x:1001:1001::/home/{name}:{shell}\n")
        self.write("/etc/shadow", self.read("/etc/shadow") + f"{name}:!:19000:0:99999:7:::\n", 0o640)
        groups = args[args.index("--groups") + 1].split(",") if "--groups" in args else []
        self._add_to_groups(name, groups)
        return OK

    def _usermod(self, args, env, stdin):
        name = args[-1]
        if "--groups" in args:
            self._add_to_groups(name, args[args.index("--groups") + 1].split(","))
        return OK

    def _add_to_groups(self, name, groups):
        out = []
        for line in self.read("/etc/group").splitlines():
            fields = line.split(":")
            if fields[0] in groups:
                fields[3] = ",".join(m for m in [*fields[3].split(","), name] if m)
            out.append(":".join(fields))
        self.write("/etc/group", "\n".join(out) + "\n")

    def _chpasswd(self, args, env, stdin):
        name, pw_hash = stdin.strip().split(":", 1)
        out = []
        for line in self.read("/etc/shadow").splitlines():
            fields = line.split(":")
            if fields[0] == name:
                fields[1] = pw_hash
            out.append(":".join(fields))
        self.write("/etc/shadow", "\n".join(out) + "\n", 0o640)
        return OK

    def _aide(self, args, env, stdin):
        if "--init" not in args:
            return CommandResult(1, "", "aide: only --init is faked")
        self.write("/var/lib/aide/aide.db.new", "database")  # database_out of Debian's aide.conf
        return OK

    def _dpkg_statoverride(self, args, env, stdin):
        """--remove PATH, or --update --add OWNER GROUP MODE PATH: dpkg's database and the file."""
        if args[:1] == ["--root"]:
            args = args[2:]
        table = self.read("/var/lib/dpkg/statoverride") or ""
        path = args[-1]
        others = "".join(line + "\n" for line in table.splitlines() if line.split()[-1:] != [path])
        if "--remove" in args:
            self.write("/var/lib/dpkg/statoverride", others)
            return OK
        if path in table.split():
            return CommandResult(2, "", f"dpkg-statoverride: error: an override for '{path}' already exists")
        owner, group, mode = args[-4:-1]
        gids = {f.split(":")[0]: int(f.split(":")[2]) for f in self.read("/etc/group").splitlines()}
        if group not in gids:
            return CommandResult(2, "", f"dpkg-statoverride: error: group '{group}' does not exist")
        self.write("/var/lib/dpkg/statoverride", others + f"{owner} {group} {mode} {path}\n")
        real = self.root / path.lstrip("/")
        os.chown(real, 0, gids[group])
        os.chmod(real, int(mode, 8))
        return OK

    def _systemd_detect_virt(self, args, env, stdin):
        return CommandResult(1, "none\n", "")

    def _augenrules(self, args, env, stdin):
        """augenrules --load: the rules.d files in name order, refused once the rules are locked."""
        if self.audit_enabled == "2":
            return CommandResult(1, "", "The audit system is in immutable mode, no rule changes allowed\n")
        rules = []
        for path in sorted((self.root / "etc/audit/rules.d").glob("*.rules")):
            for line in path.read_text().splitlines():
                if line.startswith(("-w", "-a")):
                    rules.append(line.strip())
                elif line.startswith("-e "):
                    self.audit_enabled = line.split()[1]
        self.audit_rules = rules
        return OK

    def _auditctl(self, args, env, stdin):
        if args == ["-l"]:
            return CommandResult(0, "\n".join(self.audit_rules or ["No rules"]) + "\n", "")
        if args == ["-s"]:
            return CommandResult(0, f"enabled {self.audit_enabled}\nfailure 1\npid 0\nbacklog_limit 8192\n", "")
        return CommandResult(2, "", "the fake kernel only lists (-l, -s)\n")


SSHD_DEFAULTS = {
    "port": "22",
    "pubkeyauthentication": "yes",
    "passwordauthentication": "yes",
    "kbdinteractiveauthentication": "no",
    "usepam": "no",
    "authenticationmethods": "any",
    "permitrootlogin": "without-password",
    "authorizedkeysfile": ".ssh/authorized_keys",
    "strictmodes": "yes",
    "forcecommand": "none",
    "authorizedkeyscommand": "none",
}
SSHD_LISTS = ("allowusers", "denyusers", "allowgroups", "denygroups", "port", "authorizedkeysfile")

BASE_FILES = {
    "/etc/passwd": (
        "root:x:0:0:root:/root:/bin/bash\n"
        "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
        "sync:x:4:65534:sync:/bin:/bin/sync\n"
        "ops:x:1000:1000:operator:/home/ops:/bin/bash\n"
        "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    ),
    "/etc/group": "root:x:0:\nshadow:x:42:\nsudo:x:27:ops\nadm:x:4:\nops:x:1000:\n",
    "/etc/login.defs": "UID_MIN 1000\nPASS_MAX_DAYS 99999\n",
    "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\nUsePAM yes\n",
}
# ops changed its password today: an ageing limit applies to it without locking it out at once.
TODAY = int(time.time() // 86400)
BASE_SHADOW = f"root:$y$j9T$rootsalt$roothash:19000:0:99999:7:::\nops:$y$j9T$opsalt$opshash:{TODAY}:0:99999:7:::\n"


def make_host(system, check_mode=False, host_kind="server", **kwargs):
    kwargs.setdefault("environ", {})
    kwargs.setdefault("backup_dir", "/var/backups/landingzone")
    return Host(root=str(system.root), runner=system, check_mode=check_mode, host_kind=host_kind, **kwargs)


def control(ctype, params, control_id="LZ-TST-001", **extra):
    record = {
        "id": control_id,
        "title": f"test {ctype}",
        "type": ctype,
        "params": params,
        "level": "basic",
        "risk": "low",
        "applies_to": ["server", "virtual_pc", "container"],
    }
    record.update(extra)
    return record


def run(system, controls, mode="apply", check_mode=False, **kwargs):
    host = make_host(system, check_mode=check_mode, **kwargs)
    report = Engine(host).run(controls, mode)
    return report, host
