"""GRUB for the lab VM, whose disk boots its kernel from qemu: a boot loader built on the controller
from Debian's GRUB packages, and the packages a host that boots through GRUB has.

qemu starts GRUB's core in the kernel's place (GRUB's lnxboot image, made for a loader that starts
Linux kernels), at every boot of the VM. GRUB reads the VM's own /boot/grub/grub.cfg, which
update-grub writes in the VM from /etc/default/grub and its drop-ins, so the kernel command line
is the one the host's configuration says. Until the VM has a grub.cfg, GRUB starts the disk's
kernel with the command line qemu gives it otherwise. Nothing is written to the shared VM disk:
no boot sector, no recipe change.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from backup_vm import DEBS, downloaded_debs

from landingzone.lab.qemu import KERNEL_COMMAND_LINE

# What the VM's disk lacks for update-grub, with their dependencies (dpkg says so if one is missing).
VM_PACKAGES = (
    "grub-pc-bin",
    "grub-common",
    "grub2-common",
    "libdevmapper1.02.1",
    "dmsetup",
    "libefiboot1",
    "libefivar1",
    "libfreetype6",
    "libpng16-16",
    "libbrotli1",
    "libfuse2",
    "gettext-base",
)
PACKAGE_DIR = DEBS.parent / "grub-vm-debs"
# The whole disk is one ext4 file system, no partition table: GRUB's (hd0).
EARLY_CONFIG = f"""\
if [ -f (hd0)/boot/grub/grub.cfg ]; then
  set root=(hd0)
  set prefix=(hd0)/boot/grub
  configfile (hd0)/boot/grub/grub.cfg
else
  linux (hd0)/vmlinuz {KERNEL_COMMAND_LINE}
  initrd (hd0)/initrd.img
  boot
fi
"""
CORE_MODULES = (
    "biosdisk", "ext2", "linux", "normal", "configfile", "test", "echo", "search", "search_fs_uuid", "gzio",
)  # fmt: skip
# What the lab adds to the VM's GRUB configuration: no menu to wait at, the serial console.
LAB_GRUB_SETTINGS = 'GRUB_TIMEOUT=0\nGRUB_TERMINAL=serial\nGRUB_CMDLINE_LINUX_DEFAULT="console=ttyS0"\n'


def vm_debs() -> list[Path]:
    return sorted(downloaded_debs(VM_PACKAGES, PACKAGE_DIR).glob("*.deb"))


def boot_loader() -> Path:
    """GRUB's lnxboot image and a core with the early configuration, for qemu's -kernel; built once."""
    loader = PACKAGE_DIR / "grub.lnx"
    if loader.exists():
        return loader
    tree = PACKAGE_DIR / "tree"
    for deb in vm_debs():
        if deb.name.startswith(("grub-pc-bin_", "grub-common_")):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True, capture_output=True, timeout=120)
    modules = tree / "usr" / "lib" / "grub" / "i386-pc"
    (PACKAGE_DIR / "early.cfg").write_text(EARLY_CONFIG)
    core = PACKAGE_DIR / "core.img"
    subprocess.run(
        [str(tree / "usr" / "bin" / "grub-mkimage"), "-d", str(modules), "-O", "i386-pc", "-o", str(core)]
        + ["-c", str(PACKAGE_DIR / "early.cfg"), "-p", "(hd0)/boot/grub", *CORE_MODULES],
        check=True,
        capture_output=True,
        timeout=120,
    )
    partial = loader.with_suffix(".partial")
    partial.write_bytes((modules / "lnxboot.img").read_bytes() + core.read_bytes())
    partial.rename(loader)
    return loader


# In the VM, as GRUB's packages and grub-install leave a host: the packages the disk lacks, GRUB's
# modules in /boot/grub, the lab's settings, and a grub.cfg.
SETUP = """
set -e
cd {debs}
for deb in *.deb; do
  dpkg-query -W -f='${{Status}}' "$(dpkg-deb -f "$deb" Package)" 2>/dev/null | grep -q 'ok installed' || echo "$deb"
done | xargs -r dpkg -i >/dev/null
mkdir -p /boot/grub /etc/default/grub.d
cp -r /usr/lib/grub/i386-pc /boot/grub/
printf '%s' '{settings}' > /etc/default/grub.d/50-lab.cfg
update-grub 2>/dev/null
"""
