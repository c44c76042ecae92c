"""The stock images and the lab municipality that uses one, without building anything."""

from pathlib import Path

import pytest

from landingzone.errors import LandingzoneError
from landingzone.lab import stock_images
from landingzone.lab.municipality_lab import load_lab
from landingzone.lab.stock_images import StockRecipe, is_stock_image, stock_image_name

ROOT = Path(__file__).resolve().parents[3]


def test_the_stock_recipe_is_minbase_with_ssh_sudo_python_and_none_of_the_baselines_packages():
    recipe = StockRecipe.load(ROOT)
    assert recipe.suites == ("bookworm", "trixie") and recipe.variant == "minbase"
    assert {"openssh-server", "sudo", "python3"} <= set(recipe.packages)
    for baseline_package in ("cron", "rsyslog", "nftables", "auditd", "chrony", "aide", "libpam-pwquality"):
        assert baseline_package not in recipe.packages
    customize = (recipe.directory / "customize.sh").read_text()
    assert "lz-operators" not in customize and "NOPASSWD" not in customize
    assert "--gid operator --groups sudo operator" in customize


def test_each_suite_has_its_own_digest_and_the_builder_is_part_of_it(tmp_path):
    recipe = StockRecipe.load(ROOT)
    assert recipe.digest("bookworm") != recipe.digest("trixie")
    copy = tmp_path / "lab" / "stock-image"
    copy.mkdir(parents=True)
    for name in ("recipe.yml", "customize.sh"):
        (copy / name).write_text(
            (recipe.directory / name).read_text() + ("\n# changed\n" if name == "customize.sh" else "")
        )
    assert StockRecipe.load(tmp_path).digest("bookworm") != recipe.digest("bookworm")


def test_a_recipe_without_packages_is_refused_naming_the_file(tmp_path):
    directory = tmp_path / "lab" / "stock-image"
    directory.mkdir(parents=True)
    (directory / "recipe.yml").write_text("suites: [bookworm]\nvariant: minbase\n")
    with pytest.raises(LandingzoneError, match=r"stock-image/recipe.yml: packages: is required"):
        StockRecipe.load(tmp_path)


def test_names_of_stock_images():
    assert stock_image_name("trixie") == "localhost/landingzone-stock:trixie"
    assert is_stock_image("localhost/landingzone-stock:bookworm")
    assert not is_stock_image("localhost/landingzone-lab:bookworm")


def test_the_stocklab_municipality_has_one_stock_host_next_to_lab_hosts():
    lab = load_lab(ROOT, ROOT / "inventories", "stocklab")
    images = {h.name: h.image for h in lab.hosts}
    assert images == {
        "stocklab-app1": "localhost/landingzone-stock:bookworm",
        "stocklab-backup1": "localhost/landingzone-lab:bookworm",
        "stocklab-log1": "localhost/landingzone-lab:bookworm",
    }
    assert stock_images.is_stock_image(images["stocklab-app1"])
