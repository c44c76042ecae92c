"""The Debian packages of a VPN gateway, brought into the lab VM from the controller as a local
repository (local_packages.py). playbooks/vpn_kernel_esp.yml makes that the VM's only apt
source, so the role's own apt task installs from it as it would from a mirror.
"""

from pathlib import Path

import local_packages
import yaml
from lab_vm import ROOT

ROLE_VARS = ROOT / "roles" / "vpn_gateway" / "vars" / "main.yml"
# What a gateway has before the role runs, which the VM's disk lacks: AppArmor's tools (the
# baseline installs them), with which the role loads the watcher's profile.
BASELINE_PACKAGES = ("apparmor",)


def wanted_packages() -> list[str]:
    """What the role installs for WireGuard and IPsec suppliers (its vars, the one list), and what the
    baseline would have installed before it."""
    role_vars = yaml.safe_load(ROLE_VARS.read_text())
    role_packages = set(role_vars["vpn_gateway_packages"]) | set(role_vars["vpn_gateway_ipsec_packages"])
    return sorted(role_packages | set(BASELINE_PACKAGES))


def local_repository() -> Path:
    """The gateway's packages as a local repository (local_packages.py), cached under their names' hash."""
    return local_packages.local_repository("vpn-packages", wanted_packages())
