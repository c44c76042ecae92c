"""Every reference a control cites exists in its source: CyFun 2023 and 2025, CIS Debian 12 and 13,
CIS Windows 11 and ANSSI-BP-028, each checked against the list of ids in references/.

The lists hold only ids, levels and short titles, each naming the repository, path and commit
its ids were taken from, so that anyone can check them against the same file.
"""

from __future__ import annotations

import copy
import functools
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.filter.controls import select_controls
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.references import (
    LINUX_FIELDS,
    WINDOWS_FIELDS,
)

ROOT = Path(__file__).resolve().parents[3]
REFERENCES = ROOT / "references"
SOURCES = ("cyfun-2023", "cyfun-2025", "cis-debian-12", "cis-debian-13", "cis-windows-11", "anssi-bp-028")
FIELDS = {"linux_baseline": LINUX_FIELDS, "windows_baseline": WINDOWS_FIELDS}


@functools.cache
def load_list(name: str) -> dict:
    return yaml.load((REFERENCES / f"{name}.yml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


@functools.cache
def _catalog(role: str) -> dict[str, list[dict]]:
    areas = {}
    for path in sorted((ROOT / "roles" / role / "controls").glob("*.yml")):
        areas.update(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    return areas


def catalog(role: str) -> dict[str, list[dict]]:
    """A fresh copy of the role's catalog, parsed once per session."""
    return copy.deepcopy(_catalog(role))


def citations(source: str) -> list[tuple[str, str, str]]:
    """(control, field, id) of every citation of the source in the catalogs."""
    found = []
    for role, fields in FIELDS.items():
        for controls in catalog(role).values():
            for control in controls:
                for field, name in fields.items():
                    if name == source:
                        found += [(control["id"], field, ref) for ref in control.get(field) or []]
    return found


@pytest.mark.parametrize("source", SOURCES)
def test_every_cited_id_exists_in_its_source(source):
    known = load_list(source)["ids"]
    cited = citations(source)
    missing = [f"{control} {field}: {ref!r}" for control, field, ref in cited if ref not in known]
    assert not missing, f"not in references/{source}.yml:\n" + "\n".join(missing)
    assert cited, f"no control cites references/{source}.yml"


@pytest.mark.parametrize("source", SOURCES)
def test_each_list_says_where_its_ids_come_from_and_holds_facts_only(source):
    data = load_list(source)
    origin = data["source"]
    assert origin["repository"] == "intuitem/ciso-assistant-community"
    assert origin["path"].startswith("backend/library/libraries/") and origin["path"].endswith(".yaml")
    assert re.fullmatch(r"[0-9a-f]{40}", origin["commit"])
    assert set(data) == {"source", "levels", "ids"}
    for ref, entry in data["ids"].items():
        assert set(entry) <= {"level", "key_measure", "governance", "title", "source_id"}, ref
        assert entry["title"] and "\n" not in entry["title"] and len(entry["title"]) <= 300, ref
        assert entry.get("level") in (data["levels"] or [None]), ref


def test_the_cyfun_editions_have_the_sizes_the_ccb_gives():
    # CyFun 2025: Basic 34 requirements, Important 99 more, Essential 85 more.
    sizes = Counter(entry["level"] for entry in load_list("cyfun-2025")["ids"].values())
    assert (sizes["basic"], sizes["important"], sizes["essential"]) == (34, 99, 85)
    assert all(re.fullmatch(r"(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-\d{2}\.\d+", ref) for ref in load_list("cyfun-2025")["ids"])
    older = load_list("cyfun-2023")["ids"]
    assert Counter(entry["level"] for entry in older.values())["basic"] == 34
    assert all(re.fullmatch(r"(ID|PR|DE|RS|RC)\.[A-Z]{2}-\d+\.\d+", ref) for ref in older)


def test_a_misspelt_source_id_is_listed_under_the_ccb_s_id_and_says_so():
    entry = load_list("cyfun-2023")["ids"]["PR.AC-3.4"]
    assert entry["source_id"] == "R.AC-3.4"


def test_lists_hold_recommendations_not_their_section_headings():
    # 3.3.1 is the heading "Configure IPv4 parameters"; the catalog once cited it as if it were one.
    assert "3.3.1" not in load_list("cis-debian-12")["ids"] and "3.3.1.1" in load_list("cis-debian-12")["ids"]
    assert "18.10.57" not in load_list("cis-windows-11")["ids"]


def test_every_control_cites_both_cyfun_editions():
    for role in FIELDS:
        for controls in catalog(role).values():
            for control in controls:
                assert control["cyfun"] and control["cyfun_2025"], control["id"]


LINUX_CONTROL = "LZ-SSH-005"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        # An id of a neighbouring version or of the other edition, a heading, a typo, a value of another type.
        ("cis", ["5.1.25"], "'5.1.25' is not an id of cis-debian-12"),  # one past the last sshd recommendation
        ("cis", ["5.1"], "'5.1' is not an id of cis-debian-12"),  # a section
        ("cis", ["5.1.20 "], "'5.1.20 ' is not an id of cis-debian-12"),
        ("cis", [5.1], "5.1 is not an id of cis-debian-12"),
        ("cis_debian13", ["5.1.24"], "'5.1.24' is not an id of cis-debian-13"),  # a Debian 12 id Debian 13 lacks
        ("cyfun", ["PR.AA-05.1"], "'PR.AA-05.1' is not an id of cyfun-2023"),  # a 2025 id in the 2023 field
        ("cyfun", ["pr.ac-4.1"], "'pr.ac-4.1' is not an id of cyfun-2023"),
        ("cyfun", ["R.AC-3.4"], "'R.AC-3.4' is not an id of cyfun-2023"),  # the library's misspelling
        ("cyfun_2025", ["PR.AC-4.1"], "'PR.AC-4.1' is not an id of cyfun-2025"),
        ("cyfun_2025", ["PR.AA-5.1"], "'PR.AA-5.1' is not an id of cyfun-2025"),
        ("anssi", ["R0"], "'R0' is not an id of anssi-bp-028"),
        ("anssi", "R30", "must be a list of ids"),
    ],
)
def test_the_linux_catalog_check_refuses_an_id_that_does_not_exist(field, value, message):
    linux = catalog("linux_baseline")
    control = next(c for c in linux["ssh"] if c["id"] == LINUX_CONTROL)
    control[field] = value
    with pytest.raises(AnsibleFilterError, match=re.escape(f"control {LINUX_CONTROL}: {field}: {message}")):
        select_controls(linux, "basic")


def test_an_existing_anssi_id_is_accepted_and_reaches_the_engine():
    linux = catalog("linux_baseline")
    next(c for c in linux["ssh"] if c["id"] == LINUX_CONTROL)["anssi"] = ["R67"]
    (control,) = [c for c in select_controls(linux, "basic") if c["id"] == LINUX_CONTROL]
    assert control["anssi"] == ["R67"]
