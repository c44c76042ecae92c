"""The lab's desk image: the bookworm lab image with the desktop, xrdp and the gateway's packages.

Installing a desktop takes minutes; the workplace scenario and the RDP test start from this image
so that the role finds its packages present. The image is made from a container of the lab image
(lab/desk-image/install.sh) and committed with a label: the hash of the recipe, this file and the
lab image it was made from. It is rebuilt only when one of them changes.
"""

import hashlib
import uuid
from pathlib import Path

import yaml

from landingzone.errors import LandingzoneError
from landingzone.lab.images import RECIPE_LABEL
from landingzone.lab.podman import Podman

DESK_IMAGE = "localhost/landingzone-desk:bookworm"
RECIPE_DIR = Path("lab") / "desk-image"


def _recipe(root: Path) -> dict:
    return yaml.safe_load((root / RECIPE_DIR / "recipe.yml").read_text(encoding="utf-8"))


def desk_image_digest(root: Path, podman: Podman) -> str:
    recipe = _recipe(root)
    base_id = podman.inspect("image", recipe["base"])
    if base_id is None:
        raise LandingzoneError(f"the lab image {recipe['base']} is missing: run `make images` first")
    sha = hashlib.sha256(base_id["Id"].encode())
    for part in (root / RECIPE_DIR / "recipe.yml", root / RECIPE_DIR / "install.sh", Path(__file__)):
        sha.update(part.read_bytes())
    return sha.hexdigest()[:16]


def ensure_desk_image(root: Path, log=print) -> str:
    """The desk image's name, built first when its recipe or its base changed."""
    podman = Podman(root)
    digest = desk_image_digest(root, podman)
    labels = ((podman.inspect("image", DESK_IMAGE) or {}).get("Config") or {}).get("Labels") or {}
    if labels.get(RECIPE_LABEL) == digest:
        return DESK_IMAGE
    recipe = _recipe(root)
    log(f"image {DESK_IMAGE}: building (recipe {digest}) ...")
    name = f"lz-desk-image-{uuid.uuid4().hex[:8]}"
    script = (root / RECIPE_DIR / "install.sh").read_bytes()
    podman.run("run", "-d", "--name", name, "--entrypoint", "sleep", recipe["base"], "infinity")
    try:
        # The script arrives on stdin: nothing of the build stays in the image but its result.
        podman.run("exec", "-i", name, "sh", "-s", "--", *recipe["packages"], input_bytes=script)
        podman.run(
            "commit",
            "-q",
            # The build ran `sleep`: the image boots systemd again, as the lab image does.
            "--change",
            "ENTRYPOINT []",
            "--change",
            'CMD ["/lib/systemd/systemd"]',
            "--change",
            "STOPSIGNAL SIGRTMIN+3",
            "--change",
            f"LABEL {RECIPE_LABEL}={digest}",
            name,
            DESK_IMAGE,
        )
    finally:
        podman.run("rm", "-f", "-t", "0", name, check=False)
    log(f"image {DESK_IMAGE}: built")
    return DESK_IMAGE
