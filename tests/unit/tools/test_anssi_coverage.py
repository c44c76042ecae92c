"""tools/anssi_coverage.py tells, for every ANSSI-BP-028 recommendation, which controls cite it at
which landing-zone level, or why none does; and refuses a scope file that disagrees with the list
or the catalogs, so the page never hides a recommendation."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools"))

import anssi_coverage  # noqa: E402

REAL_SCOPE = yaml.safe_load((REPO / "references" / "anssi-scope.yml").read_text(encoding="utf-8"))


def checkout(tmp_path, controls, scope):
    """A checkout with one catalog, the real list of recommendations and the given scope."""
    (tmp_path / "roles" / "demo" / "controls").mkdir(parents=True)
    (tmp_path / "roles" / "demo" / "controls" / "demo.yml").write_text(yaml.safe_dump({"demo": controls}))
    (tmp_path / "references").mkdir()
    shutil.copy(REPO / "references" / "anssi-bp-028.yml", tmp_path / "references")
    (tmp_path / "references" / "anssi-scope.yml").write_text(yaml.safe_dump(scope))
    return tmp_path


def scope_for(cited):
    """Every recommendation titled; those not cited are outside, except R5, a gap."""
    scope = {rec_id: {"title": f"title of {rec_id}", "outside": "not ours"} for rec_id in REAL_SCOPE}
    for rec_id in cited:
        scope[rec_id] = {"title": f"title of {rec_id}"}
    scope["R5"] = {"title": "boot loader", "gap": "not yet"}
    return scope


def control(control_id, level, anssi):
    return {"id": control_id, "level": level, "anssi": anssi}


CONTROLS = [
    control("LZ-DEMO-001", "basic", ["R30"]),
    control("LZ-DEMO-002", "essential", ["R30", "R73"]),
    control("LZ-DEMO-003", "important", []),
]


def rows_by_id(root):
    rows = anssi_coverage.coverage(anssi_coverage.load(root))
    return {row["id"]: (level, row) for level, level_rows in rows.items() for row in level_rows}


def test_each_recommendation_is_placed_at_its_anssi_level_with_its_controls_per_landing_zone_level(tmp_path):
    rows = rows_by_id(checkout(tmp_path, CONTROLS, scope_for({"R30", "R73"})))
    assert len(rows) == 80
    level, r30 = rows["R30"]
    assert level == "minimal" and r30["status"] == "controls"
    assert r30["by_level"] == {"basic": ["LZ-DEMO-001"], "essential": ["LZ-DEMO-002"]}
    assert rows["R73"][0] == "enhanced" and rows["R73"][1]["by_level"] == {"essential": ["LZ-DEMO-002"]}
    assert rows["R5"][1]["status"] == "gap" and rows["R5"][1]["why"] == "not yet"
    assert rows["R1"][1]["status"] == "outside" and not rows["R1"][1]["by_level"]


def test_the_page_shows_the_lowest_level_that_meets_a_recommendation_and_counts_per_anssi_level(tmp_path):
    page = anssi_coverage.render(anssi_coverage.load(checkout(tmp_path, CONTROLS, scope_for({"R30", "R73"}))))
    assert "| R30 | title of R30 | basic: LZ-DEMO-001; essential: LZ-DEMO-002 | basic |  |" in page
    assert "| R73 | title of R73 | essential: LZ-DEMO-002 | essential |  |" in page
    assert "| R5 | boot loader | – | – | **gap**: not yet |" in page
    # minimal has 11 recommendations: R30 is cited, none is a gap, the other 10 are outside here.
    assert "| minimal | 11 | 1 | 0 | 10 |" in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("R42"), "no entry for R42"),
        (lambda s: s.update(R81={"title": "x", "outside": "y"}), "R81: not a recommendation"),
        (lambda s: s.update(R2={"outside": "no title"}), "R2: title: is required"),
        (lambda s: s.update(R2={"title": "t", "outside": "a", "gap": "b"}), "R2: says both outside and gap"),
        (lambda s: s.update(R2={"title": "t", "because": "x"}), "R2: because: unknown field"),
        # Cited by a control, yet said to be outside: the scope file is stale.
        (lambda s: s.update(R30={"title": "t", "outside": "x"}), "R30: outside: a control cites it"),
        # Cited by nothing, and nothing says why: a silent hole in the page.
        (lambda s: s.update(R2={"title": "t"}), "R2: no control cites it; say why"),
    ],
)
def test_a_scope_file_that_disagrees_with_the_list_or_the_catalogs_is_refused(tmp_path, change, message, capsys):
    scope = scope_for({"R30", "R73"})
    change(scope)
    root = checkout(tmp_path, CONTROLS, scope)
    assert anssi_coverage.main(["--root", str(root), "--check"]) == 2
    assert message in capsys.readouterr().err


def test_a_recommendation_with_a_level_the_guide_does_not_have_is_refused(tmp_path, capsys):
    root = checkout(tmp_path, CONTROLS, scope_for({"R30", "R73"}))
    listing = yaml.safe_load((root / "references" / "anssi-bp-028.yml").read_text())
    listing["ids"]["R30"]["level"] = "basic"
    (root / "references" / "anssi-bp-028.yml").write_text(yaml.safe_dump(listing))
    assert anssi_coverage.main(["--root", str(root), "--check"]) == 2
    assert "R30: level 'basic' is not one of minimal, intermediary, enhanced, high" in capsys.readouterr().err


def test_the_list_holds_exactly_the_80_recommendations_of_the_guide_at_its_four_levels():
    listing = yaml.safe_load((REPO / "references" / "anssi-bp-028.yml").read_text(encoding="utf-8"))
    assert list(listing["ids"]) == [f"R{number}" for number in range(1, 81)]
    assert listing["levels"] == ["minimal", "intermediary", "enhanced", "high"]
    assert {entry["level"] for entry in listing["ids"].values()} == set(listing["levels"])
    # A few levels checked by hand against the guide: the sudo group is enhanced, sudo's defaults
    # intermediary, unused accounts minimal, SELinux high.
    assert [listing["ids"][rec]["level"] for rec in ("R38", "R39", "R30", "R46")] == [
        "enhanced",
        "intermediary",
        "minimal",
        "high",
    ]


def test_write_then_check_round_trips(tmp_path):
    root = checkout(tmp_path, CONTROLS, scope_for({"R30", "R73"}))
    assert anssi_coverage.main(["--root", str(root), "--check"]) == 1
    assert anssi_coverage.main(["--root", str(root)]) == 0
    assert anssi_coverage.main(["--root", str(root), "--check"]) == 0
