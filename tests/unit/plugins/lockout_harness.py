"""A fake host with accounts that must keep access, for the lockout invariant tests.

`ops` is the operator and the connected account: in group sudo (the Debian rule asks for
its password, which the run gives), logging in over SSH from 10.20.0.9 to port 22 with a
key in ~/.ssh/authorized_keys. `admin2` is another administrator nobody asked to keep.
"""

from __future__ import annotations

import os

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access import session
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.keepers import Access
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.engine import Engine
from engine_harness import TODAY, make_host

SESSION = "10.20.0.9 50022 10.20.0.5 22"
DEBIAN_SUDOERS = (
    "Defaults\tenv_reset\n"
    'Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
    "root\tALL=(ALL:ALL) ALL\n"
    "%sudo\tALL=(ALL:ALL) ALL\n"
    "@includedir /etc/sudoers.d\n"
)


def arrange(system, sessions_port=22):
    # sessions_port: the Port line of sshd_config, after its Include of the drop-ins.
    """Give the fake host what a stock Debian server has for its administrators."""
    system.write("/bin/bash", "#!/bin/sh\n", 0o755)
    system.write("/usr/sbin/nologin", "#!/bin/sh\n", 0o755)
    system.write("/etc/hostname", "host1\n")
    system.write("/etc/sudoers", DEBIAN_SUDOERS, 0o440)
    system.write(
        "/etc/passwd",
        system.read("/etc/passwd") + "admin2:x:1002:1002::/home/admin2:/bin/bash\n",
    )
    system.write(
        "/etc/group", system.read("/etc/group").replace("sudo:x:27:ops", "sudo:x:27:ops,admin2") + "admin2:x:1002:\n"
    )
    system.write(
        "/etc/shadow", system.read("/etc/shadow") + f"admin2:$y$j9T$a2salt$a2hash:{TODAY}:0:99999:7:::\n", 0o640
    )
    for user in ("ops", "admin2"):
        os.makedirs(system.root / "home" / user / ".ssh", mode=0o700, exist_ok=True)
        os.chmod(system.root / "home" / user, 0o755)
        system.write(f"/home/{user}/.ssh/authorized_keys", f"ssh-ed25519 AAAA {user}\n", 0o600)
    system.write(
        "/etc/ssh/sshd_config", system.read("/etc/ssh/sshd_config").replace("Port 22", f"Port {sessions_port}")
    )


def access(**overrides):
    values = dict(
        operator="ops",
        operator_group="lz-operators",
        connected="ops",
        transport="ssh",
        become_method="sudo",
        become_password=True,
        management_networks=["10.20.0.0/16"],
        ssh_port=22,
    )
    values.update(overrides)
    return Access(**values)


def run_kept(system, controls, mode="apply", check_mode=False, ssh_connection=SESSION, **overrides):
    """One engine run with `ops` (and whoever overrides name) as accounts that must keep access."""
    keep = access(**overrides)
    keep.session = session.parse(ssh_connection.split()) if keep.over_ssh else None
    host = make_host(system, check_mode=check_mode, environ={"SSH_CONNECTION": ssh_connection}, access=keep)
    report = Engine(host).run(controls, mode)
    return report, host
