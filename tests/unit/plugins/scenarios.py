"""One failing starting point per control type, used by the generic handler tests.

Each scenario arranges a host where the control fails, the params that fix it, and
params the schema must reject (with the field the error has to name).
"""

from __future__ import annotations

import os

PAM_PROFILE = """Name: Lock accounts after failed logins
Default: yes
Priority: 1024
Auth-Type: Primary
Auth:
	[default=die]	pam_faillock.so authfail
Auth-Initial:
	[default=die]	pam_faillock.so authfail
"""


def _sysctl(system):
    system.write("/proc/sys/net/ipv4/ip_forward", "1\n")


def _config_key(system):
    pass  # login.defs already has PASS_MAX_DAYS 99999


def _sshd(system):
    pass  # no drop-in yet


def _sudo(system):
    system.write("/etc/sudoers.d/README", "# sudoers drop-ins\n", 0o440)


def _file_permission(system):
    os.chmod(system.root / "etc/ssh/sshd_config", 0o644)


def _file_content(system):
    system.write("/etc/issue.net", "Debian GNU/Linux 12\n")


def _package(system):
    system.write(
        "/var/lib/dpkg/status",
        "Package: telnet\nStatus: install ok installed\nArchitecture: amd64\n\n"
        "Package: bash\nStatus: install ok installed\nArchitecture: amd64\n",
    )


def _service(system):
    system.units["auditd.service"] = {"enabled": "disabled", "active": "inactive"}


def _kernel_module(system):
    system.write("/proc/modules", "ext4 1 0 - Live 0x0\n")


def _audit_rule(system):
    system.write("/etc/audit/rules.d/audit.rules", "-D\n")


def _pam(system):
    system.write("/etc/pam.d/common-auth", "auth [success=1 default=ignore] pam_unix.so nullok\n")


def _account_policy(system):
    pass  # ops has PASS_MAX_DAYS 99999 in shadow (and changed its password today)


def _local_account(system):
    pass  # breakglass does not exist


def _login_group(system):
    system.write("/etc/gshadow", "root:*::\nsudo:*::ops\n", 0o640)


def _mount(system):
    system.write("/etc/fstab", "UUID=abc / ext4 errors=remount-ro 0 1\ntmpfs /dev/shm tmpfs defaults 0 0\n")
    system.write("/proc/mounts", "/dev/sda1 / ext4 rw,relatime 0 0\ntmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n")


def _nftables(system):
    system.write("/etc/nftables.conf", "#!/usr/sbin/nft -f\nflush ruleset\n", 0o755)
    system.write(
        "/etc/nftables.d/50-backup-agent.nft", "add rule inet landingzone_filter input tcp dport 9102 accept\n"
    )


def _aide(system):
    pass


def _sudo_rule(system):
    system.write("/etc/sudoers.d/60-landingzone-operators", "%lz-operators ALL=(ALL) NOPASSWD: ALL\n", 0o440)


def _sudo_group(system):
    system.write("/usr/bin/sudo", "#!/bin/sh\n", 0o4755)
    os.symlink("sudo", system.root / "usr/bin/sudoedit")
    system.write("/var/lib/dpkg/statoverride", "root messagebus 4754 /usr/lib/dbus-1.0/dbus-daemon-launch-helper\n")


def _kernel_cmdline(system):
    system.write("/boot/grub/grub.cfg", "# written by update-grub\n")
    system.write("/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=UUID=abc ro quiet\n")
    system.write("/etc/default/grub.d/60-landingzone.cfg", 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX audit=1"\n')


CHRONYD_PROFILE = """abi <abi/3.0>,
include <tunables/global>

/usr/sbin/chronyd flags=(attach_disconnected, complain) {
  include <abstractions/base>
  /etc/chrony/{,**} r,
  /{,var/}run/chrony/{,*} rw,
}
"""


def _apparmor_kernel(system, profiles):
    system.write("/sys/module/apparmor/parameters/enabled", "Y\n")
    system.write("/sys/kernel/security/apparmor/profiles", "".join(f"{n} ({m})\n" for n, m in profiles.items()))


def _apparmor_profile_mode(system):
    _apparmor_kernel(system, {"/usr/sbin/chronyd": "complain", "man_filter": "enforce"})
    system.write("/etc/apparmor.d/usr.sbin.chronyd", CHRONYD_PROFILE)


def _process(system, pid, exe, label, unit):
    system.write(f"/proc/{pid}/comm", os.path.basename(exe)[:15] + "\n")
    system.write(f"/proc/{pid}/attr/apparmor/current", label + "\n")
    system.write(f"/proc/{pid}/cgroup", f"0::/system.slice/{unit}\n")
    os.symlink(exe, system.root / f"proc/{pid}/exe")


def _apparmor_confined_process(system):
    _apparmor_kernel(system, {"/usr/sbin/chronyd": "enforce"})
    _process(system, 812, "/usr/sbin/chronyd", "unconfined", "chrony.service")
    _process(system, 640, "/usr/sbin/sshd", "unconfined", "ssh.service")  # no profile: not counted
    system.on_restart["chrony.service"] = lambda: system.write(
        "/proc/812/attr/apparmor/current", "/usr/sbin/chronyd (enforce)\n"
    )


SCENARIOS = {
    "sysctl": {
        "params": {"key": "net.ipv4.ip_forward", "value": 0},
        "arrange": _sysctl,
        "bad": [({"key": "net ipv4", "value": 0}, "params.key"), ({"key": "kernel.x"}, "params.value")],
    },
    "config_key": {
        "params": {"path": "/etc/login.defs", "key": "PASS_MAX_DAYS", "value": 365},
        "arrange": _config_key,
        "bad": [
            ({"path": "etc/login.defs", "key": "A", "value": 1}, "params.path"),
            ({"path": "/x", "key": "A"}, "params.value"),
        ],
    },
    "sshd_option": {
        "params": {"option": "PermitRootLogin", "value": "no"},
        "arrange": _sshd,
        "bad": [({"option": "Permit Root", "value": "no"}, "params.option"), ({"value": "no"}, "params.option")],
    },
    "sudo_default": {
        "params": {"option": "logfile", "value": "/var/log/sudo.log"},
        "arrange": _sudo,
        "bad": [({"option": "use pty"}, "params.option"), ({"option": "use_pty", "extra": 1}, "params.extra")],
    },
    "file_permission": {
        "params": {"path": "/etc/ssh/sshd_config", "mode": "0600", "owner": "root", "group": "root"},
        "arrange": _file_permission,
        "bad": [({"path": "/etc/x", "mode": "rw-r--r--"}, "params.mode"), ({"mode": "0600"}, "params.path")],
    },
    "file_content": {
        "params": {"path": "/etc/issue.net", "content": "Authorised access only.\n", "mode": "0644"},
        "arrange": _file_content,
        "bad": [
            ({"path": "/etc/issue.net"}, "params.content"),
            ({"path": "/etc/x", "content": "x", "mode": 9999}, "params.mode"),
        ],
    },
    "package": {
        "params": {"name": ["auditd", "audispd-plugins"], "state": "present"},
        "arrange": _package,
        "bad": [({"name": ["Bad Name!"]}, "params.name"), ({"name": ["x1"], "state": "latest"}, "params.state")],
    },
    "service": {
        "params": {"name": "auditd", "enabled": True, "state": "started"},
        "arrange": _service,
        "bad": [({"name": "auditd", "state": "running"}, "params.state"), ({"name": "auditd"}, "params")],
    },
    "kernel_module": {
        "params": {"name": "cramfs"},
        "arrange": _kernel_module,
        "bad": [({"name": "cram fs"}, "params.name"), ({}, "params.name")],
    },
    "audit_rule": {
        "params": {"rule": "-w /etc/passwd -p wa -k identity"},
        "arrange": _audit_rule,
        "bad": [({"rule": "w /etc/passwd"}, "params.rule"), ({"rule": "-w /x", "file": "../x"}, "params.file")],
    },
    "pam_profile": {
        "params": {"name": "landingzone-faillock", "module": "pam_faillock.so", "content": PAM_PROFILE},
        "arrange": _pam,
        "bad": [
            ({"name": "x", "content": "y"}, "params.module"),
            ({"name": "a b", "module": "m", "content": "c"}, "params.name"),
        ],
    },
    "account_policy": {
        "params": {"rule": "password_max_days", "value": 365},
        "arrange": _account_policy,
        "bad": [({"rule": "no_root"}, "params.rule"), ({"rule": "inactive_lock", "value": "soon"}, "params.value")],
    },
    "local_account": {
        "params": {
            "name": "breakglass",
            "password_hash": "$y$j9T$bgsalt$bghash",
            "groups": ["sudo"],
            "shell": "/bin/bash",
        },
        "arrange": _local_account,
        "bad": [
            ({"name": "breakglass", "password_hash": "hunter2"}, "params.password_hash"),
            ({"name": "Bad!"}, "params.name"),
        ],
    },
    "login_group": {
        "params": {"name": "lz-operators"},
        "arrange": _login_group,
        "bad": [({"name": "Lz Operators"}, "params.name"), ({}, "params.name")],
    },
    "mount_option": {
        "params": {"mountpoint": "/dev/shm", "options": ["nodev", "nosuid", "noexec"]},
        "arrange": _mount,
        "bad": [
            ({"mountpoint": "dev/shm", "options": ["nodev"]}, "params.mountpoint"),
            ({"mountpoint": "/tmp"}, "params.options"),
        ],
    },
    "nftables_ruleset": {
        "params": {
            "management_networks": ["10.20.0.0/16", "2001:db8::/32"],
            "ssh_port": 22,
            "allowed_inbound": [
                {"port": 443, "proto": "tcp", "sources": ["192.0.2.0/24"]},
                {"port": "514", "proto": "udp"},
            ],
        },
        "arrange": _nftables,
        "bad": [
            ({"management_networks": ["10.0.0.300/8"]}, "params.management_networks"),
            ({"allowed_inbound": [{"port": "http"}]}, "params.allowed_inbound[0].port"),
        ],
    },
    "sudo_rule": {
        "params": {"name": "operators", "rule": "%lz-operators ALL=(ALL:ALL) ALL"},
        "arrange": _sudo_rule,
        "bad": [({"name": "ops.conf", "rule": "x"}, "params.name"), ({"name": "ops"}, "params.rule")],
    },
    "sudo_group": {
        "params": {"group": "sudo"},
        "arrange": _sudo_group,
        "bad": [({"group": "sudo adm"}, "params.group"), ({}, "params.group")],
    },
    "kernel_cmdline": {
        "params": {"name": "audit_backlog_limit", "value": 8192},
        "arrange": _kernel_cmdline,
        # The new command line exists only after a reboot; the converge test simulates one.
        "reboot": lambda system: system.write(
            "/proc/cmdline", "root=UUID=abc ro quiet audit=1 audit_backlog_limit=8192\n"
        ),
        "bad": [({"name": "audit backlog"}, "params.name"), ({"value": 1}, "params.name")],
    },
    "apparmor_profile_mode": {
        "params": {"modes": ["enforce"]},
        "arrange": _apparmor_profile_mode,
        "bad": [
            ({"modes": ["enforce", "audit"]}, "params.modes"),
            ({"modes": []}, "params.modes"),
            ({}, "params.modes"),
        ],
    },
    "apparmor_confined_process": {
        "params": {"restart_services": True},
        "arrange": _apparmor_confined_process,
        "bad": [({"restart_services": "maybe"}, "params.restart_services"), ({"names": ["x"]}, "params.names")],
    },
    "aide_database": {
        "params": {},
        "arrange": _aide,
        "bad": [({"database": "aide.db"}, "params.database"), ({"db": "/x"}, "params.db")],
    },
}
