"""The stock images: Debian as a municipality's server has it before the landing zone.

The lab image (images.py) carries every package and group the baseline needs, so a
baseline proven only there says little about a real server. A stock image is
debootstrap minbase with SSH, sudo and python3 and an administrator in group sudo,
built from lab/stock-image/ and cached, like the lab image, by the hash of its recipe
(recipe.yml, customize.sh, this file): as a label and as a tag of its own.
"""

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from landingzone.errors import LandingzoneError
from landingzone.lab.debootstrap import bootstrap, recipe_digest
from landingzone.lab.images import RECIPE_LABEL, debian_mirror
from landingzone.lab.podman import Podman

STOCK_REPOSITORY = "localhost/landingzone-stock"
RECIPE_DIRECTORY = Path("lab") / "stock-image"
BUILD_HINT = "Check that this machine reaches its Debian mirror, then run `landingzone lab images` again."


def stock_image_name(suite: str) -> str:
    return f"{STOCK_REPOSITORY}:{suite}"


def is_stock_image(image: str) -> bool:
    return image.rsplit(":", 1)[0] == STOCK_REPOSITORY


@dataclass(frozen=True)
class StockRecipe:
    directory: Path
    suites: tuple[str, ...]
    variant: str
    packages: tuple[str, ...]

    @classmethod
    def load(cls, root: Path) -> "StockRecipe":
        directory = root / RECIPE_DIRECTORY
        path = directory / "recipe.yml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for field in ("suites", "variant", "packages"):
            if not data.get(field):
                raise LandingzoneError(f"{path}: {field}: is required")
        return cls(directory, tuple(data["suites"]), data["variant"], tuple(data["packages"]))

    def digest(self, suite: str) -> str:
        return recipe_digest(self.directory, suite, Path(__file__))


def ensure_stock_images(root: Path, suites: list[str] | None = None, log=print) -> None:
    """Build each stock image whose recipe changed; reuse the others."""
    podman = Podman(root)
    recipe = StockRecipe.load(root)
    for suite in suites or recipe.suites:
        if suite not in recipe.suites:
            raise LandingzoneError(f"{RECIPE_DIRECTORY}/recipe.yml: suites: no recipe for {suite!r}")
        name, digest = stock_image_name(suite), recipe.digest(suite)
        tagged = f"{name}-{digest}"
        labels = ((podman.inspect("image", name) or {}).get("Config") or {}).get("Labels") or {}
        if labels.get(RECIPE_LABEL) == digest:
            log(f"image {name}: cached (recipe {digest})")
            continue
        if podman.exists("image", tagged):
            podman.run("tag", tagged, name)
            log(f"image {name}: cached under {tagged}")
            continue
        log(f"image {name}: building (recipe {digest}) ...")
        _build(podman, recipe, suite, name, digest)
        podman.run("tag", name, tagged)
        log(f"image {name}: built")


def _build(podman: Podman, recipe: StockRecipe, suite: str, name: str, digest: str) -> None:
    if shutil.which("debootstrap") is None:
        raise LandingzoneError("debootstrap is not installed: run `make setup` (Debian package debootstrap)")
    workdir = Path(tempfile.mkdtemp(prefix=f"landingzone-stock-{suite}-", dir="/var/tmp"))
    log_path = workdir.with_suffix(".log")
    try:
        with open(log_path, "wb") as log_file:
            bootstrap(
                recipe.directory,
                recipe.variant,
                recipe.packages,
                suite,
                debian_mirror(),
                workdir / "rootfs",
                log_file,
                "stock image build",
                BUILD_HINT,
            )
            tar = subprocess.Popen(
                ["tar", "-C", str(workdir / "rootfs"), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE
            )
            try:
                podman.run(
                    "import",
                    "--change",
                    'CMD ["/lib/systemd/systemd"]',
                    "--change",
                    "STOPSIGNAL SIGRTMIN+3",
                    "--change",
                    f"LABEL {RECIPE_LABEL}={digest}",
                    "-",
                    name,
                    stdin=tar.stdout,
                )
            finally:
                tar.stdout.close()
                tar.wait()
        log_path.unlink()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
