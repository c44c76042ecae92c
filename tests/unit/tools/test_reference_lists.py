"""tools/reference_lists.py keeps only the ids, levels, flags and short titles of a framework library,
and names where they were read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tools"))

import reference_lists  # noqa: E402

COMMIT = "0123456789abcdef0123456789abcdef01234567"
URN = "urn:x:req_node:"


def node(ref_id, parent=None, assessable=True, **extra):
    record = {"urn": URN + ref_id.lower(), "ref_id": ref_id, "assessable": assessable, "depth": 1, **extra}
    if parent:
        record["parent_urn"] = URN + parent.lower()
    return record


def cyfun_library(description="Version 2025-10-01"):
    """A CyFun-like library: a function, a category, a subcategory and requirements under it."""
    return {
        "name": "CyberFundamentals 2025 (CyFun)",
        "description": f"Long text that must not be copied.\n{description}",
        "version": 7,
        "objects": {
            "reference_controls": [{"urn": "urn:x:rc:pr.aa-01.1", "name": "Identity and credential management"}],
            "framework": {
                "name": "CyFun",
                "requirement_nodes": [
                    node("PR", assessable=False, name="PROTECT"),
                    node("PR.AA", "PR", assessable=False, name="Identity Management"),
                    node("PR.AA-01", "PR.AA", assessable=False, description="A long subcategory text"),
                    node(
                        "PR.AA-01.1",
                        "PR.AA-01",
                        description="The requirement's own text, never copied.",
                        implementation_groups=["B", "I", "E", "BK", "IK", "EK"],
                        reference_controls=["urn:x:rc:pr.aa-01.1"],
                    ),
                    node("PR.AA-01.2", "PR.AA-01", implementation_groups=["I", "E", "IG", "EG"]),
                    # Misspelt as the CyFun 2023 library misspells R.AC-3.4: the subcategory decides.
                    node("R.AA-01.3", "PR.AA-01", implementation_groups=["E"]),
                    node("BASIC_PR.AA-01.4", "PR.AA-01", implementation_groups=["B", "I", "E"]),
                ],
            },
        },
    }


def test_a_list_keeps_ids_levels_flags_and_short_titles_only(tmp_path):
    data = reference_lists.build("cyfun-2025", cyfun_library(), COMMIT)
    assert list(data["ids"]) == ["PR.AA-01.1", "PR.AA-01.2", "PR.AA-01.3", "PR.AA-01.4"]
    assert data["ids"]["PR.AA-01.1"] == {
        "level": "basic",
        "key_measure": True,
        "title": "Identity and credential management",
    }
    assert data["ids"]["PR.AA-01.2"] == {"level": "important", "governance": True, "title": "Identity Management"}
    assert data["ids"]["PR.AA-01.3"] == {"level": "essential", "title": "Identity Management", "source_id": "R.AA-01.3"}
    assert data["source"]["commit"] == COMMIT and data["source"]["path"].endswith("/cyfun2025.yaml")
    text = reference_lists.render("cyfun-2025", data)
    assert "never copied" not in text and "must not be copied" not in text and "subcategory text" not in text
    assert yaml.safe_load(text) == data


def test_typographic_quotes_in_a_title_become_ascii_ones():
    library = cyfun_library()
    library["objects"]["reference_controls"][0]["name"] = "L\u2019identit\u00e9 \u201cfirst\u201d"
    title = reference_lists.build("cyfun-2025", library, COMMIT)["ids"]["PR.AA-01.1"]["title"]
    assert title == 'L\'identit\u00e9 "first"'


def test_a_library_of_another_edition_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="does not say 'Version 2025-10-01'"):
        reference_lists.build("cyfun-2025", cyfun_library(description="Version 2023-03-01"), COMMIT)


def test_a_requirement_without_a_level_or_listed_twice_is_refused():
    library = cyfun_library()
    library["objects"]["framework"]["requirement_nodes"][4]["implementation_groups"] = ["IG"]
    with pytest.raises(SystemExit, match="PR.AA-01.2: no level"):
        reference_lists.build("cyfun-2025", library, COMMIT)
    library = cyfun_library()
    library["objects"]["framework"]["requirement_nodes"].append(
        node("PR.AA-01.1", "PR.AA-01", implementation_groups=["E"])
    )
    with pytest.raises(SystemExit, match="PR.AA-01.1: listed twice"):
        reference_lists.build("cyfun-2025", library, COMMIT)


def test_the_command_wants_a_full_commit_and_writes_the_list(tmp_path):
    library = tmp_path / "cyfun2025.yaml"
    library.write_text(yaml.safe_dump(cyfun_library()))
    tool = [
        sys.executable,
        str(REPO / "tools" / "reference_lists.py"),
        "cyfun-2025",
        str(library),
        "--output",
        str(tmp_path),
    ]
    short = subprocess.run([*tool, "--commit", "abc123"], capture_output=True, text=True, check=False)
    assert short.returncode == 2 and "full 40-character commit" in short.stderr
    subprocess.run([*tool, "--commit", COMMIT], capture_output=True, text=True, check=True)
    assert yaml.safe_load((tmp_path / "cyfun-2025.yml").read_text())["ids"]["PR.AA-01.4"]["level"] == "basic"
