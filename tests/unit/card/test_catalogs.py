"""known_control_ids reads every role's catalog, and says which file is broken."""

import pytest
from card_testdata import ROOT

from landingzone.card import known_control_ids
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
