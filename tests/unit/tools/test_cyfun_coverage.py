"""tools/cyfun_coverage.py tells, per CyFun edition and level, what serves each requirement: the
controls, another role, the organisation, or nothing (a gap)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools"))

import cyfun_coverage  # noqa: E402


def checkout(tmp_path, controls, scope):
    """A checkout with one catalog, the real CyFun lists and the given scope."""
    (tmp_path / "roles" / "demo" / "controls").mkdir(parents=True)
    (tmp_path / "roles" / "backup_agent").mkdir()
    (tmp_path / "roles" / "demo" / "controls" / "demo.yml").write_text(yaml.safe_dump({"demo": controls}))
    (tmp_path / "references").mkdir()
    for edition in (2023, 2025):
        shutil.copy(REPO / "references" / f"cyfun-{edition}.yml", tmp_path / "references")
    (tmp_path / "references" / "cyfun-scope.yml").write_text(yaml.safe_dump(scope))
    return tmp_path


def control(control_id, level, level_2025, cyfun, cyfun_2025):
    return {"id": control_id, "level": level, "level_2025": level_2025, "cyfun": cyfun, "cyfun_2025": cyfun_2025}


def rows_by_id(root, edition):
    rows = cyfun_coverage.coverage(edition, cyfun_coverage.load(root))
    return {row["id"]: row for level in rows.values() for row in level}


def test_coverage_tells_controls_roles_organisation_and_gaps_apart(tmp_path):
    root = checkout(
        tmp_path,
        [
            control("LZ-DEMO-001", "basic", "basic", ["PR.AC-1.1"], ["PR.AA-01.1"]),
            # Cites a basic requirement, but only from important on under 2025: a gap at basic.
            control("LZ-DEMO-002", "basic", "important", ["PR.AC-4.1"], ["PR.AA-05.1"]),
        ],
        {
            2023: {"ID": {"organisation": "governance"}},
            2025: {"PR.DS-11.1": {"roles": ["backup_agent"], "by": "backups"}, "GV": {"organisation": "governance"}},
        },
    )
    rows = rows_by_id(root, 2025)
    assert rows["PR.AA-01.1"]["status"] == "controls" and rows["PR.AA-01.1"]["controls"] == ["LZ-DEMO-001"]
    assert rows["PR.AA-05.1"]["status"] == "gap" and rows["PR.AA-05.1"]["later"] == ["LZ-DEMO-002"]
    assert rows["PR.DS-11.1"]["status"] == "roles"
    assert rows["GV.OC-03.1"]["status"] == "organisation"
    assert rows["PR.AA-03.2"]["status"] == "gap" and not rows["PR.AA-03.2"]["later"]
    assert rows_by_id(root, 2023)["PR.AC-4.1"]["status"] == "controls"  # basic under 2023
    page = cyfun_coverage.render(cyfun_coverage.load(root))
    assert (
        "| PR.AA-05.1 | Access permissions management | key | – | **gap**; controls at a higher level: LZ-DEMO-002 |"
        in page
    )
    assert "| PR.DS-11.1 | Critical data backup | key | – | roles backup_agent: backups |" in page


def test_the_most_specific_scope_entry_decides_and_a_prefix_stops_at_a_number():
    scope = {"PR.IP": {"organisation": "a"}, "PR.IP-1": {"organisation": "b"}, "PR.IP-4.1": {"roles": ["x"], "by": "y"}}
    assert cyfun_coverage.scope_of("PR.IP-1.2", scope) == {"organisation": "b"}
    assert cyfun_coverage.scope_of("PR.IP-11.1", scope) == {"organisation": "a"}  # not PR.IP-1's
    assert cyfun_coverage.scope_of("PR.IP-4.1", scope) == {"roles": ["x"], "by": "y"}
    assert cyfun_coverage.scope_of("DE.CM-1.1", scope) is None


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ({2025: {"PR.XX": {"organisation": "a"}}}, "2025: PR.XX: names no requirement of CyFun 2025"),
        ({2025: {"PR.AA-01": {"organisation": "a", "roles": ["backup_agent"], "by": "b"}}}, "needs either"),
        ({2025: {"PR.DS-11": {"roles": ["backup_robot"], "by": "b"}}}, "PR.DS-11: roles: no role backup_robot"),
        ({2023: {"PR.AA": {"organisation": "a"}}}, "2023: PR.AA: names no requirement of CyFun 2023"),
    ],
)
def test_a_scope_that_names_nothing_or_a_missing_role_stops_the_tool(tmp_path, capsys, scope, message):
    root = checkout(tmp_path, [control("LZ-DEMO-001", "basic", "basic", ["PR.AC-1.1"], ["PR.AA-01.1"])], scope)
    assert cyfun_coverage.main(["--root", str(root)]) == 2
    assert message in capsys.readouterr().err
    assert not (root / "docs").exists()
