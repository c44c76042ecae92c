"""The Windows inventory example parses, validates certificates, and is not mistaken for a
municipality by the CLI's fleet discovery of inventories/."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from windows_testdata import ROOT

from landingzone.fleet_inputs import fleet_municipalities

EXAMPLE = ROOT / "inventories" / "examples" / "windows"


def test_the_example_is_not_a_municipality_of_the_inventories_fleet():
    municipalities = fleet_municipalities(ROOT / "inventories")
    assert "examples" not in municipalities and "windows" not in municipalities


def test_ansible_reads_the_example_with_https_and_certificate_validation():
    inventory = Path(sys.executable).with_name("ansible-inventory")
    result = subprocess.run(
        [str(inventory), "-i", str(EXAMPLE / "hosts.yml"), "--list"],
        capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    hostvars = json.loads(result.stdout)["_meta"]["hostvars"]
    assert sorted(hostvars) == ["gem-fs-01", "gem-vpc-01", "gem-vpc-02"]
    for host in hostvars.values():
        assert host["ansible_connection"] == "winrm" and host["ansible_winrm_scheme"] == "https"
        assert host["ansible_winrm_server_cert_validation"] == "validate"
    assert hostvars["gem-fs-01"]["ansible_winrm_transport"] == "certificate"


def test_the_ca_trust_path_is_the_fleet_ca_that_pki_init_makes():
    """<fleet>/pki/ca.crt, one directory above the municipality's inventory, as Ansible templates it."""
    ansible = Path(sys.executable).with_name("ansible")
    result = subprocess.run(
        [str(ansible), "-i", str(EXAMPLE / "hosts.yml"), "windows", "-o", "-m", "ansible.builtin.debug",
         "-a", "var=ansible_winrm_ca_trust_path", "-e", json.dumps({"vault_windows_service_password": "unused"})],
        capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip
    paths = [json.loads(line.split("=>", 1)[1]) for line in result.stdout.splitlines() if "=>" in line]
    assert len(paths) == 3
    assert {p["ansible_winrm_ca_trust_path"] for p in paths} == {str(EXAMPLE.parent / "pki" / "ca.crt")}
