"""The citizen portal on the lab VM: what the VM tests need to install it with its own role.

The VM reaches no mirror, so the packages the role's apt tasks name (read from its tasks, the
one list) come from a local repository the controller builds (local_packages.py); the firewall
is the baseline's ruleset, whose table the portal's drop-in joins; the TLS material comes from a
test CA, for the name the role serves under (the VM's inventory name).
"""

from __future__ import annotations

import local_packages
import yaml
from backup_vm import make_pki
from lab_vm import HOST, ROOT
from vpn_baseline_ruleset import host_ruleset

ROLE_TASKS = ROOT / "roles" / "citizen_portal" / "tasks"
# What the baseline installs before the role, which the VM's disk lacks: AppArmor's tools.
BASELINE_PACKAGES = ("apparmor",)
# SSH reaches the VM from qemu's user network.
MANAGEMENT_NETWORKS = ["10.0.2.0/24"]
APPLICATION_PROFILE = "landingzone-citizen-portal"
NGINX_PROFILE = "landingzone-nginx"
CONFINEMENT_TASK = (
    "cyberveilig.landingzone.citizen_portal : "
    "Record whether the application and nginx run in their AppArmor profiles, in enforce mode"
)
HEALTH_CHECK = "/usr/local/sbin/citizen-portal-healthcheck"
TLS_KEY = "/etc/citizen-portal/tls/portal.key"


def role_packages() -> list[str]:
    """Every package an apt task of the role installs, and what the baseline installs before it."""
    names = set(BASELINE_PACKAGES)
    for tasks_file in sorted(ROLE_TASKS.glob("*.yml")):
        for task in yaml.safe_load(tasks_file.read_text()) or []:
            wanted = (task.get("ansible.builtin.apt") or {}).get("name")
            names.update([wanted] if isinstance(wanted, str) else wanted or [])
    return sorted(names)


def portal_vars(vm) -> dict:
    """The playbook's extra vars: the repository, the ruleset and the role's TLS material."""
    pki = make_pki(vm.workdir / "portal-pki", HOST)
    ruleset = vm.workdir / "nftables.conf"
    ruleset.write_text(host_ruleset(MANAGEMENT_NETWORKS))
    return {
        "portal_vm_repository": str(local_packages.local_repository("portal-packages", role_packages())),
        "portal_vm_ruleset": str(ruleset),
        "citizen_portal_ca_cert": pki["ca.crt"],
        "citizen_portal_tls_cert": pki[f"{HOST}.crt"],
        "citizen_portal_tls_key": pki[f"{HOST}.key"],
    }
