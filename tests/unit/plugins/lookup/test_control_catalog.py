"""The control_catalog lookup reads a catalog as include_vars did, faster and once per content.

The proof that matters is the last one: through real ansible-playbook (localhost, the local
connection, nothing but files in a temporary directory written), the linux_baseline catalog read by
the lookup selects, for hosts at every level, both CyFun editions, with switches, adjustments and
a log collector, exactly the controls, rendered with each host's own variables, that the catalog
read by include_vars selected.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible.template import is_trusted_as_template
from ansible_collections.cyberveilig.landingzone.plugins.lookup.control_catalog import read_catalog
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils import catalog_files
from linux_baseline_hosts import HOSTS, PLAY_ON_HOSTS, run_playbook

ROOT = Path(__file__).resolve().parents[4]
CATALOG = ROOT / "roles" / "linux_baseline" / "controls"


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_area_of_every_file_in_name_order(tmp_path):
    _write(tmp_path, "b.yml", "second:\n  - id: LZ-B-001\n")
    _write(tmp_path, "a.yml", "first:\n  - id: LZ-A-001\n")
    _write(tmp_path, "notes.txt", "not: a catalog\n")
    catalog = read_catalog(str(tmp_path))
    assert list(catalog) == ["first", "second"]
    assert catalog["second"] == [{"id": "LZ-B-001"}]


def test_the_checkout_catalog_is_read_whole():
    catalog = read_catalog(str(CATALOG))
    expected = {}
    for path in sorted(CATALOG.glob("*.yml")):
        expected.update(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert catalog == expected
    assert sum(len(controls) for controls in catalog.values()) > 300


def test_only_strings_that_may_hold_a_template_are_trusted(tmp_path):
    _write(tmp_path, "a.yml", "area:\n  - id: LZ-A-001\n    params: {value: '{{ some_var }}', plain: text, n: 3}\n")
    params = read_catalog(str(tmp_path))["area"][0]["params"]
    assert is_trusted_as_template(params["value"])
    assert not is_trusted_as_template(params["plain"])
    assert params["n"] == 3


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.yml": "area: [\n"}, r"a\.yml: not valid YAML"),
        ({"a.yml": "- a list\n"}, r"a\.yml: a catalog file is a mapping of area name to a list of controls"),
        ({"a.yml": "area: []\n", "b.yml": "area: []\n"}, r"b\.yml: area area: already in .*a\.yml"),
        ({"a.yml": "area: !!python/object:os.system ls\n"}, r"a\.yml: not valid YAML"),
        ({}, r"holds no \.yml file"),
    ],
    ids=["bad-yaml", "not-a-mapping", "area-twice", "unsafe-tag", "empty"],
)
def test_a_broken_catalog_is_an_error_naming_the_file(tmp_path, files, message):
    for name, text in files.items():
        _write(tmp_path, name, text)
    with pytest.raises(AnsibleLookupError, match=message):
        read_catalog(str(tmp_path))


def test_a_missing_directory_is_an_error_naming_it(tmp_path):
    with pytest.raises(AnsibleLookupError, match=r"nowhere: cannot be read"):
        read_catalog(str(tmp_path / "nowhere"))


def test_a_changed_byte_is_read_again_even_with_the_same_size_and_time(tmp_path):
    path = _write(tmp_path, "a.yml", "area:\n  - id: LZ-A-001\n")
    assert read_catalog(str(tmp_path))["area"][0]["id"] == "LZ-A-001"
    stat = path.stat()
    path.write_text("area:\n  - id: LZ-A-002\n", encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert read_catalog(str(tmp_path))["area"][0]["id"] == "LZ-A-002"


def test_the_same_content_is_parsed_once_and_every_caller_gets_its_own_copy(tmp_path, monkeypatch):
    _write(tmp_path, "a.yml", "area:\n  - id: LZ-A-001\n    params: {names: [a]}\n")
    first = read_catalog(str(tmp_path))
    first["area"][0]["params"]["names"].append("changed by a caller")

    def no_parse(contents):
        raise AssertionError("parsed again although the files did not change")

    monkeypatch.setattr(catalog_files, "_parse", no_parse)
    assert read_catalog(str(tmp_path))["area"][0]["params"]["names"] == ["a"]


# ---- the role's selection, through ansible-playbook: include_vars against the lookup ---------------

PLAYBOOK = (
    PLAY_ON_HOSTS
    + """
    - name: Read by include_vars
      ansible.builtin.include_vars:
        dir: "{{{{ role_path }}}}/controls"
        name: linux_baseline_catalog
        extensions: [yml]
    - name: Write what it selects
      ansible.builtin.copy:
        content: "{{{{ {{'ids': linux_baseline_catalog | cyberveilig.landingzone.catalog_ids,
                     'selected': selected_controls}} | to_json }}}}"
        dest: "{out}/include_vars-{{{{ inventory_hostname }}}}.json"
        mode: "0600"
    - name: Read by the lookup, as the role does
      ansible.builtin.set_fact:
        linux_baseline_catalog: "{{{{ lookup('cyberveilig.landingzone.control_catalog', role_path ~ '/controls') }}}}"
        linux_baseline_catalog_ids: >-
          {{{{ lookup('cyberveilig.landingzone.control_catalog', role_path ~ '/controls')
             | cyberveilig.landingzone.catalog_ids }}}}
    - name: Write what it selects
      ansible.builtin.copy:
        content: "{{{{ {{'ids': linux_baseline_catalog_ids,
                     'selected': selected_controls}} | to_json }}}}"
        dest: "{out}/lookup-{{{{ inventory_hostname }}}}.json"
        mode: "0600"
"""
)


def test_the_lookup_selects_exactly_what_include_vars_selected_for_every_kind_of_host(tmp_path):
    completed = run_playbook(tmp_path, PLAYBOOK)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    selected_counts = set()
    for host in HOSTS:
        before = json.loads((tmp_path / f"include_vars-{host}.json").read_text())
        after = json.loads((tmp_path / f"lookup-{host}.json").read_text())
        assert after == before, host
        rendered = json.dumps(after["selected"])
        assert "{{" not in rendered and "{%" not in rendered, host
        selected_counts.add(len(after["selected"]))
    assert len(selected_counts) == len(HOSTS)  # the hosts really differ
    essential = json.loads((tmp_path / "lookup-essential-logs.json").read_text())["selected"]
    assert "server ntp1.example.invalid iburst" in json.dumps(essential)
    gateway = json.loads((tmp_path / "lookup-basic-2025-gateway.json").read_text())["selected"]
    assert any("(adjusted: forwarding on for vpn_gateway" in control["title"] for control in gateway)
