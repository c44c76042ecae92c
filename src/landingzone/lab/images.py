"""The lab images: Debian built with debootstrap and imported into podman.

An image carries the hash of its recipe as a label; it is rebuilt only when the
recipe (recipe.yml, customize.sh, this file) changes. Each build is also kept under
a tag named after that hash, so that switching between checkouts whose recipes
differ re-points the suite's tag instead of building again.
"""

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from landingzone.errors import LandingzoneError
from landingzone.lab.debootstrap import bootstrap, recipe_digest
from landingzone.lab.podman import Podman

IMAGE_REPOSITORY = "localhost/landingzone-lab"
RECIPE_LABEL = "org.cyberveilig.landingzone.recipe"
BUILD_HINT = "Check that this machine reaches its Debian mirror, then run `make images` again."
SOURCES_FILES = ("/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list")


def image_name(suite: str) -> str:
    return f"{IMAGE_REPOSITORY}:{suite}"


@dataclass(frozen=True)
class Recipe:
    directory: Path
    suites: tuple[str, ...]
    variant: str
    packages: tuple[str, ...]

    @classmethod
    def load(cls, root: Path) -> "Recipe":
        directory = root / "lab" / "images"
        data = yaml.safe_load((directory / "recipe.yml").read_text(encoding="utf-8"))
        return cls(directory, tuple(data["suites"]), data["variant"], tuple(data["packages"]))

    def digest(self, suite: str) -> str:
        return recipe_digest(self.directory, suite, Path(__file__))


def debian_mirror() -> str:
    """The Debian mirror this machine's apt already uses (or $LZ_DEBIAN_MIRROR)."""
    if os.environ.get("LZ_DEBIAN_MIRROR"):
        return os.environ["LZ_DEBIAN_MIRROR"]
    for path in SOURCES_FILES:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            if line.startswith("URIs:"):
                words = words[1:]
            elif line.startswith("deb "):
                words = [w for w in words[1:] if "://" in w]
            else:
                continue
            for uri in words:
                if uri.rstrip("/").endswith("/debian"):
                    return uri.rstrip("/")
    raise LandingzoneError("no Debian mirror found in this machine's apt sources: set LZ_DEBIAN_MIRROR to one")


def digest_tag(suite: str, digest: str) -> str:
    return f"{image_name(suite)}-{digest}"


def is_current(podman: Podman, recipe: Recipe, suite: str) -> bool:
    info = podman.inspect("image", image_name(suite))
    labels = ((info or {}).get("Config") or {}).get("Labels") or {}
    return labels.get(RECIPE_LABEL) == recipe.digest(suite)


def ensure_images(root: Path, suites: list[str] | None = None, log=print) -> None:
    """Build each lab image whose recipe changed; reuse the others."""
    podman = Podman(root)
    recipe = Recipe.load(root)
    for suite in suites or recipe.suites:
        if suite not in recipe.suites:
            raise LandingzoneError(f"lab/images/recipe.yml: suites: no recipe for {suite!r}")
        digest = recipe.digest(suite)
        if is_current(podman, recipe, suite):
            log(f"image {image_name(suite)}: cached (recipe {digest})")
            continue
        if podman.exists("image", digest_tag(suite, digest)):
            podman.run("tag", digest_tag(suite, digest), image_name(suite))
            log(f"image {image_name(suite)}: cached under {digest_tag(suite, digest)}")
            continue
        log(f"image {image_name(suite)}: building (recipe {digest}) ...")
        build_image(podman, recipe, suite)
        podman.run("tag", image_name(suite), digest_tag(suite, digest))
        log(f"image {image_name(suite)}: built")


def build_image(podman: Podman, recipe: Recipe, suite: str) -> None:
    if shutil.which("debootstrap") is None:
        raise LandingzoneError("debootstrap is not installed: run `make setup` (Debian package debootstrap)")
    workdir = Path(tempfile.mkdtemp(prefix=f"landingzone-image-{suite}-", dir="/var/tmp"))
    rootfs = workdir / "rootfs"
    log_path = workdir.with_suffix(".log")
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
                "image build",
                BUILD_HINT,
            )
            tar = subprocess.Popen(["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE)
            try:
                podman.run(
                    "import",
                    "--change",
                    'CMD ["/lib/systemd/systemd"]',
                    "--change",
                    "STOPSIGNAL SIGRTMIN+3",
                    "--change",
                    f"LABEL {RECIPE_LABEL}={recipe.digest(suite)}",
                    "-",
                    image_name(suite),
                    stdin=tar.stdout,
                )
            finally:
                tar.stdout.close()
                tar.wait()
        log_path.unlink()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
