"""The Debian packages of a VPN gateway, brought into the lab VM from the controller.

The lab VM reaches no mirror (lab/vm/recipe.yml lists what its disk holds), and its disk
is shared by every VM test: rather than grow the recipe for one test, the controller
downloads the packages the vpn_gateway role installs, with every dependency, from its own
Debian mirror (``apt-get download``, cached beside the VM disks) and indexes them as a
local repository. playbooks/vpn_kernel_esp.yml makes that the VM's only apt source, so
the role's own apt task installs from it as it would from a mirror.
"""

import hashlib
import subprocess
from pathlib import Path

import yaml
from lab_vm import ROOT

from landingzone.lab.vm import cache_directory

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


def _closure(packages: list[str]) -> list[str]:
    """The packages and every package they depend on (alternatives included), without virtual ones."""
    done = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts"]
        + ["--no-breaks", "--no-replaces", "--no-enhances", *packages],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return sorted({line for line in done.stdout.splitlines() if line and not line.startswith((" ", "<"))})


def local_repository() -> Path:
    """A tar of .deb files with a Packages index, for ``deb [trusted=yes] file:DIR ./`` once
    unpacked in DIR: one file to copy, which under software emulation takes seconds where
    copying the packages one by one takes minutes."""
    packages = wanted_packages()
    directory = cache_directory() / f"vpn-packages-{hashlib.sha256(' '.join(packages).encode()).hexdigest()[:12]}"
    archive = directory.with_suffix(".tar")
    if archive.exists():
        return archive
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["apt-get", "download", "-q", *_closure(packages)],
        cwd=directory,
        capture_output=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    listing = subprocess.run(
        ["dpkg-scanpackages", "--multiversion", "."],
        cwd=directory,
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    (directory / "Packages").write_text(listing.stdout)
    partial = archive.with_suffix(".tar.partial")
    subprocess.run(["tar", "-C", str(directory), "-cf", str(partial), "."], check=True, stdin=subprocess.DEVNULL)
    partial.rename(archive)
    return archive
