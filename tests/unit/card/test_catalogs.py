"""known_control_ids reads every role's catalog, and says which file is broken; the id map it keeps between
commands is used only for the same bytes, and a forged or broken one is written afresh."""

import json
import os

import pytest
from card_testdata import ROOT

from landingzone.card import catalogs, known_control_ids
from landingzone.card.catalogs import cache_file, catalog_roles
from landingzone.errors import LandingzoneError


def test_ids_of_the_checkout_include_the_baseline():
    ids = known_control_ids(ROOT)
    assert {"LZ-SSH-001", "LZ-UPD-003"} <= ids
    assert all(control_id.startswith(("LZ-", "LZW-")) for control_id in ids)


def test_ids_come_from_every_role(tmp_path):
    for role, control_id in (("one", "LZ-ONE-001"), ("two", "LZ-TWO-001")):
        (tmp_path / "roles" / role / "controls").mkdir(parents=True)
        (tmp_path / "roles" / role / "controls" / "area.yml").write_text(f"area:\n  - id: {control_id}\n")
    assert known_control_ids(tmp_path) == {"LZ-ONE-001", "LZ-TWO-001"}


def test_a_control_without_id_names_its_file(tmp_path):
    (tmp_path / "roles" / "one" / "controls").mkdir(parents=True)
    (tmp_path / "roles" / "one" / "controls" / "area.yml").write_text("area:\n  - title: no id\n")
    with pytest.raises(LandingzoneError, match=r"area\.yml: area\[0\]: a control needs an id"):
        known_control_ids(tmp_path)


# ---- the id map kept between commands ---------------------------------------------------------


def _catalog(root, role="one", text="area:\n  - id: LZ-ONE-001\n"):
    path = root / "roles" / role / "controls" / "area.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_id_map_is_kept_and_read_back_without_parsing(tmp_path, monkeypatch):
    _catalog(tmp_path)
    assert catalog_roles(tmp_path) == {"LZ-ONE-001": "one"}
    stored = json.loads(cache_file(tmp_path).read_text())
    assert stored["roles"] == {"LZ-ONE-001": "one"} and len(stored["key"]) == 64

    def no_parse(contents):
        raise AssertionError("the catalogs were parsed although the cache holds them")

    monkeypatch.setattr(catalogs, "_parse", no_parse)
    assert catalog_roles(tmp_path) == {"LZ-ONE-001": "one"}


def test_a_changed_byte_is_read_again_even_with_the_same_size_and_time(tmp_path):
    path = _catalog(tmp_path)
    catalog_roles(tmp_path)
    stat = path.stat()
    path.write_text("area:\n  - id: LZ-ONE-002\n")  # same length
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert catalog_roles(tmp_path) == {"LZ-ONE-002": "one"}


def test_a_new_catalog_file_and_a_renamed_one_are_read_again(tmp_path):
    _catalog(tmp_path)
    catalog_roles(tmp_path)
    _catalog(tmp_path, role="two", text="area:\n  - id: LZ-TWO-001\n")
    assert catalog_roles(tmp_path) == {"LZ-ONE-001": "one", "LZ-TWO-001": "two"}
    moved = tmp_path / "roles" / "three" / "controls"
    moved.mkdir(parents=True)
    (tmp_path / "roles" / "two" / "controls" / "area.yml").rename(moved / "area.yml")
    assert catalog_roles(tmp_path) == {"LZ-ONE-001": "one", "LZ-TWO-001": "three"}


def test_a_broken_catalog_is_refused_whatever_the_cache_held(tmp_path):
    path = _catalog(tmp_path)
    catalog_roles(tmp_path)
    path.write_text("area:\n  - title: no id\n")
    with pytest.raises(LandingzoneError, match=r"area\.yml: area\[0\]: a control needs an id"):
        catalog_roles(tmp_path)


@pytest.mark.parametrize(
    "forged",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"format": "something-else/1", "key": "KEY", "roles": {"LZ-EVIL-001": "one"}}',
        b'{"format": "landingzone-catalog-ids/1", "key": "0000", "roles": {"LZ-EVIL-001": "one"}}',
        b'{"format": "landingzone-catalog-ids/1", "key": "KEY", "roles": {"LZ-EVIL-001": "nosuchrole"}}',
        b'{"format": "landingzone-catalog-ids/1", "key": "KEY", "roles": {"LZ-EVIL-001": ["one"]}}',
        b'{"format": "landingzone-catalog-ids/1", "key": "KEY", "roles": ["LZ-EVIL-001"]}',
    ],
    ids=["not-json", "not-utf8", "a-list", "foreign-format", "another-key", "unknown-role", "role-not-text", "no-map"],
)
def test_a_corrupt_or_foreign_cache_is_ignored_and_written_afresh(tmp_path, forged):
    _catalog(tmp_path)
    catalog_roles(tmp_path)
    key = json.loads(cache_file(tmp_path).read_text())["key"]
    cache_file(tmp_path).write_bytes(forged.replace(b"KEY", key.encode()))
    assert catalog_roles(tmp_path) == {"LZ-ONE-001": "one"}
    assert json.loads(cache_file(tmp_path).read_text())["roles"] == {"LZ-ONE-001": "one"}


def test_a_checkout_whose_state_cannot_be_written_is_validated_all_the_same(tmp_path):
    _catalog(tmp_path)
    (tmp_path / ".cache").write_text("a file where the state directory would be")
    assert catalog_roles(tmp_path) == {"LZ-ONE-001": "one"}
    assert catalog_roles(tmp_path) == {"LZ-ONE-001": "one"}


def test_the_cache_is_replaced_whole_and_leaves_no_partial_file(tmp_path):
    _catalog(tmp_path)
    catalog_roles(tmp_path)
    _catalog(tmp_path, text="area:\n  - id: LZ-ONE-003\n")
    catalog_roles(tmp_path)
    assert sorted(p.name for p in (tmp_path / ".cache").iterdir()) == ["catalog-ids.json"]
