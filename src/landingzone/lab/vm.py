"""The lab VM disk: Debian built with debootstrap into a qcow2 base for qemu.

Containers cannot prove kernel-level controls (sysctl, kernel modules, the
audit subsystem, mount options); a VM booted from this disk can. The disk,
its kernel and its initrd are cached under the hash of their recipe
(recipe.yml, customize.sh, this file) and rebuilt only when it changes.
No step mounts anything: the filesystem is made from a directory with
`mkfs.ext4 -d`, so the build needs neither loop devices nor guestfs.
"""

import fcntl
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from landingzone.errors import LandingzoneError
from landingzone.lab.debootstrap import bootstrap, recipe_digest, run_logged
from landingzone.lab.images import debian_mirror

DEFAULT_CACHE = Path("/var/cache/landingzone/vm")
BUILD_HINT = "Check that this machine reaches its Debian mirror and has disk space, then run the VM tests again."
BUILD_TOOLS = {
    "debootstrap": "debootstrap",
    "mkfs.ext4": "e2fsprogs",
    "qemu-img": "qemu-utils",
}


def cache_directory() -> Path:
    """Where built disks live ($LZ_VM_CACHE): shared by every checkout on the
    machine, since a disk is named by the hash of its recipe."""
    return Path(os.environ.get("LZ_VM_CACHE") or DEFAULT_CACHE)


@dataclass(frozen=True)
class VmRecipe:
    directory: Path
    suites: tuple[str, ...]
    variant: str
    disk_size: str
    packages: tuple[str, ...]

    @classmethod
    def load(cls, root: Path) -> "VmRecipe":
        directory = root / "lab" / "vm"
        data = yaml.safe_load((directory / "recipe.yml").read_text(encoding="utf-8"))
        return cls(
            directory,
            tuple(data["suites"]),
            data["variant"],
            str(data["disk_size"]),
            tuple(data["packages"]),
        )

    def digest(self, suite: str) -> str:
        return recipe_digest(self.directory, suite, Path(__file__))


@dataclass(frozen=True)
class VmImage:
    """A built disk: boot it with `-kernel`, `-initrd` and an overlay of `disk`."""

    directory: Path

    @property
    def disk(self) -> Path:
        return self.directory / "base.qcow2"

    @property
    def kernel(self) -> Path:
        return self.directory / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.directory / "initrd.img"

    def is_complete(self) -> bool:
        return all(path.is_file() for path in (self.disk, self.kernel, self.initrd))


def vm_image(recipe: VmRecipe, suite: str) -> VmImage:
    return VmImage(cache_directory() / f"{suite}-{recipe.digest(suite)}")


def ensure_vm_image(root: Path, suite: str = "bookworm", log=print) -> VmImage:
    """The VM disk for this recipe: the cached one, or a fresh build."""
    recipe = VmRecipe.load(root)
    if suite not in recipe.suites:
        raise LandingzoneError(f"lab/vm/recipe.yml: suites: no recipe for {suite!r}")
    image = vm_image(recipe, suite)
    if image.is_complete():
        log(f"vm disk {image.directory.name}: cached")
        return image
    cache = cache_directory()
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LandingzoneError(f"cannot create the VM disk cache {cache}: {error.strerror}; set LZ_VM_CACHE") from None
    # Two test runs starting together build once: the second waits, then finds the disk.
    with open(cache / f"{suite}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not image.is_complete():
            log(f"vm disk {image.directory.name}: building ...")
            build_vm_image(recipe, suite, image)
            log(f"vm disk {image.directory.name}: built")
            _remove_older_disks(image, suite)
    return image


def _remove_older_disks(current: VmImage, suite: str) -> None:
    """Disks of earlier recipes take a gigabyte each and are never used again
    (a running VM keeps its open base file until it stops)."""
    for directory in current.directory.parent.glob(f"{suite}-*"):
        if directory.is_dir() and directory != current.directory:
            shutil.rmtree(directory, ignore_errors=True)


def _check_build_tools() -> None:
    missing = sorted({package for tool, package in BUILD_TOOLS.items() if shutil.which(tool) is None})
    if missing:
        raise LandingzoneError(
            f"cannot build the VM disk, missing Debian packages: {' '.join(missing)}; "
            "install lab/vm/host-packages.txt (`make setup`)"
        )


def _only(rootfs: Path, pattern: str) -> Path:
    found = sorted((rootfs / "boot").glob(pattern))
    if len(found) != 1:
        raise LandingzoneError(
            f"VM disk build: expected one /boot/{pattern} in the new root, found {len(found)}; "
            "check the kernel packages in lab/vm/recipe.yml"
        )
    return found[0]


def build_vm_image(recipe: VmRecipe, suite: str, image: VmImage) -> None:
    _check_build_tools()
    # Next to the cache, so that the finished disk is moved in by a rename.
    workdir = Path(tempfile.mkdtemp(prefix=f".build-{suite}-", dir=image.directory.parent))
    rootfs = workdir / "rootfs"
    result = workdir / "result"
    result.mkdir()
    log_path = image.directory.parent / f"{image.directory.name}.log"
    try:
        with open(log_path, "wb") as log_file:
            bootstrap(
                recipe.directory,
                recipe.variant,
                recipe.packages,
                suite,
                debian_mirror(),
                rootfs,
                log_file,
                "VM disk build",
                BUILD_HINT,
            )
            shutil.copy(_only(rootfs, "vmlinuz-*"), result / "vmlinuz")
            shutil.copy(_only(rootfs, "initrd.img-*"), result / "initrd.img")
            raw = workdir / "disk.raw"
            run_logged(
                ["mkfs.ext4", "-q", "-L", "root", "-d", str(rootfs), str(raw), recipe.disk_size],
                log_file,
                "making the root filesystem from the new root",
                "VM disk build",
                BUILD_HINT,
            )
            run_logged(
                ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), str(result / "base.qcow2")],
                log_file,
                "converting the disk to qcow2",
                "VM disk build",
                BUILD_HINT,
            )
        # Test runs only ever read the base, through overlays.
        for path in result.iterdir():
            path.chmod(0o444)
        os.rename(result, image.directory)
        log_path.unlink()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
