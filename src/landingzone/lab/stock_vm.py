"""The stock VM disk: a stock Debian server on a real kernel, for qemu.

Like the lab VM disk (vm.py) it is debootstrapped and cached by the hash of its recipe
(lab/stock-vm/: recipe.yml, customize.sh, this file), in the same cache, under
`stock-<suite>-<hash>`. Unlike it, the baseline's packages are not installed: the VM
reaches no mirror, so they wait, with their dependencies, in a local apt repository on
the disk, the VM's only package source.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from landingzone.errors import LandingzoneError
from landingzone.lab.debootstrap import bootstrap, recipe_digest, run_logged
from landingzone.lab.images import debian_mirror
from landingzone.lab.vm import VmImage, cache_directory

RECIPE_DIRECTORY = Path("lab") / "stock-vm"
REPOSITORY = "var/lib/landingzone-repo"
LABEL = "stock VM disk build"
BUILD_HINT = "Check that this machine reaches its Debian mirror and has disk space, then run the VM tests again."


@dataclass(frozen=True)
class StockVmRecipe:
    directory: Path
    suites: tuple[str, ...]
    variant: str
    disk_size: str
    packages: tuple[str, ...]
    repository: tuple[str, ...]

    @classmethod
    def load(cls, root: Path) -> "StockVmRecipe":
        directory = root / RECIPE_DIRECTORY
        data = yaml.safe_load((directory / "recipe.yml").read_text(encoding="utf-8"))
        return cls(
            directory,
            tuple(data["suites"]),
            data["variant"],
            str(data["disk_size"]),
            tuple(data["packages"]),
            tuple(data["repository"]),
        )

    def digest(self, suite: str) -> str:
        return recipe_digest(self.directory, suite, Path(__file__))


def ensure_stock_vm_image(root: Path, suite: str = "bookworm", log=print) -> VmImage:
    """The stock VM disk for this recipe: the cached one, or a fresh build."""
    recipe = StockVmRecipe.load(root)
    if suite not in recipe.suites:
        raise LandingzoneError(f"{RECIPE_DIRECTORY}/recipe.yml: suites: no recipe for {suite!r}")
    cache = cache_directory()
    image = VmImage(cache / f"stock-{suite}-{recipe.digest(suite)}")
    if image.is_complete():
        return image
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / f"stock-{suite}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not image.is_complete():
            log(f"stock vm disk {image.directory.name}: building ...")
            _build(recipe, suite, image)
            for older in cache.glob(f"stock-{suite}-*"):
                if older.is_dir() and older != image.directory:
                    shutil.rmtree(older, ignore_errors=True)
    return image


def _packages_index(repository: Path) -> str:
    """An apt Packages file for the .deb files in `repository`, as dpkg-scanpackages writes one."""
    stanzas = []
    for deb in sorted(repository.glob("*.deb")):
        control = subprocess.run(["dpkg-deb", "--field", str(deb)], capture_output=True, text=True, check=True).stdout
        data = deb.read_bytes()
        stanzas.append(
            control.rstrip("\n")
            + f"\nFilename: ./{deb.name}\nSize: {len(data)}\nSHA256: {hashlib.sha256(data).hexdigest()}\n"
        )
    return "\n".join(stanzas)


def _local_repository(recipe: StockVmRecipe, suite: str, mirror: str, rootfs: Path, workdir: Path, log_file) -> None:
    """Download the repository packages with their dependencies, index them, and let apt read them."""
    download = workdir / "download"
    run_logged(
        [
            "debootstrap",
            "--download-only",
            f"--variant={recipe.variant}",
            f"--include={','.join(recipe.packages + recipe.repository)}",
            suite,
            str(download),
            mirror,
        ],
        log_file,
        "downloading the local repository's packages",
        LABEL,
        BUILD_HINT,
    )
    repository = rootfs / REPOSITORY
    repository.mkdir(parents=True)
    for deb in (download / "var" / "cache" / "apt" / "archives").glob("*.deb"):
        shutil.copy(deb, repository / deb.name)
    (repository / "Packages").write_text(_packages_index(repository), encoding="utf-8")
    run_logged(["chroot", str(rootfs), "apt-get", "update", "-q"], log_file, "indexing it", LABEL, BUILD_HINT)


def _only(rootfs: Path, pattern: str) -> Path:
    found = sorted((rootfs / "boot").glob(pattern))
    if len(found) != 1:
        raise LandingzoneError(f"{LABEL}: expected one /boot/{pattern} in the new root, found {len(found)}")
    return found[0]


def _build(recipe: StockVmRecipe, suite: str, image: VmImage) -> None:
    workdir = Path(tempfile.mkdtemp(prefix=f".build-stock-{suite}-", dir=image.directory.parent))
    rootfs, result = workdir / "rootfs", workdir / "result"
    result.mkdir()
    log_path = image.directory.parent / f"{image.directory.name}.log"
    mirror = debian_mirror()
    try:
        with open(log_path, "wb") as log_file:
            bootstrap(
                recipe.directory, recipe.variant, recipe.packages, suite, mirror, rootfs, log_file, LABEL, BUILD_HINT
            )
            _local_repository(recipe, suite, mirror, rootfs, workdir, log_file)
            shutil.copy(_only(rootfs, "vmlinuz-*"), result / "vmlinuz")
            shutil.copy(_only(rootfs, "initrd.img-*"), result / "initrd.img")
            raw = workdir / "disk.raw"
            run_logged(
                ["mkfs.ext4", "-q", "-L", "root", "-d", str(rootfs), str(raw), recipe.disk_size],
                log_file,
                "making the root filesystem",
                LABEL,
                BUILD_HINT,
            )
            run_logged(
                ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), str(result / "base.qcow2")],
                log_file,
                "converting the disk to qcow2",
                LABEL,
                BUILD_HINT,
            )
        for path in result.iterdir():
            path.chmod(0o444)
        os.rename(result, image.directory)
        log_path.unlink()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
