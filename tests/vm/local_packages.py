"""Debian packages brought into the lab VM from the controller, as a local apt repository.

The lab VM reaches no mirror (lab/vm/recipe.yml lists what its disk holds), and its disk is
shared by every VM test: rather than grow the recipe for one test, the controller downloads
the packages a role installs, with every dependency, from its own Debian mirror
(``apt-get download``, cached beside the VM disks) and indexes them as a local repository.
playbooks/local_apt_source.yml makes that the VM's only apt source, so the role's own apt
task installs from it as it would from a mirror.
"""

import hashlib
import subprocess
from pathlib import Path

from landingzone.lab.vm import cache_directory

# apt as on a machine with nothing installed, so each package's candidate and its dependencies are the
# sources' own, as the VM's mirror would give them: not a version this machine has installed that no
# source holds (a Node.js installed from elsewhere, whose dependencies are not Debian's).
DEBIAN_VERSIONS = ("-o", "Dir::State::status=/dev/null")


def _closure(packages: list[str]) -> list[str]:
    """The packages and every package they depend on (alternatives included), without virtual ones."""
    done = subprocess.run(
        ["apt-cache", *DEBIAN_VERSIONS, "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts"]
        + ["--no-breaks", "--no-replaces", "--no-enhances", *packages],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return sorted({line for line in done.stdout.splitlines() if line and not line.startswith((" ", "<"))})


def local_repository(prefix: str, packages: list[str]) -> Path:
    """A tar of .deb files with a Packages index, for ``deb [trusted=yes] file:DIR ./`` once
    unpacked in DIR: one file to copy, which under software emulation takes seconds where
    copying the packages one by one takes minutes. Cached under the hash of the package list."""
    packages = sorted(packages)
    directory = cache_directory() / f"{prefix}-{hashlib.sha256(' '.join(packages).encode()).hexdigest()[:12]}"
    archive = directory.with_suffix(".tar")
    if archive.exists():
        return archive
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["apt-get", *DEBIAN_VERSIONS, "download", "-q", *_closure(packages)],
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
