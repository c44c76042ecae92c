"""The lab's side of host key trust, without containers: its CA, the known_hosts it may write
and remove, and the ssh_config that holds ssh to it."""

import subprocess
from pathlib import Path

import pytest

from landingzone.errors import LandingzoneError
from landingzone.lab.host_certificates import lab_authority, remove_known_hosts, write_known_hosts
from landingzone.lab.municipality_lab import load_lab, write_ssh_config
from landingzone.ssh_host_ca import public_line

ROOT = Path(__file__).resolve().parents[3]


def test_the_lab_ca_is_made_once_and_kept_private(tmp_path):
    first = lab_authority(tmp_path)
    assert (tmp_path / "ssh_host_ca").stat().st_mode & 0o777 == 0o600
    assert public_line(lab_authority(tmp_path)) == public_line(first)


def test_the_lab_writes_and_removes_only_a_known_hosts_of_its_own(tmp_path):
    path = tmp_path / "known_hosts"
    authority = lab_authority(tmp_path)
    write_known_hosts(path, "gent", authority)
    write_known_hosts(path, "gent", authority)  # lab up again
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# The lab's SSH host CA: written by `landingzone lab up`")
    assert lines[-1] == f"@cert-authority * {public_line(authority)} landingzone lab gent"
    assert remove_known_hosts(path) is True and not path.exists()

    real = "@cert-authority * ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM0 the fleet's CA\n"
    path.write_text(real)
    with pytest.raises(LandingzoneError, match=r"known_hosts: this municipality's known_hosts was not written by"):
        write_known_hosts(path, "gent", authority)
    assert remove_known_hosts(path) is False
    assert path.read_text() == real


def test_the_lab_ssh_config_checks_host_keys_against_the_municipality_known_hosts(tmp_path):
    lab = load_lab(ROOT, ROOT / "inventories", "demo")
    assert lab.known_hosts == ROOT / "inventories" / "demo" / "known_hosts"
    lab.state_dir = tmp_path
    write_ssh_config(lab)
    resolved = subprocess.run(
        ["ssh", "-G", "-F", str(tmp_path / "ssh_config"), "demo-app1"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    options = dict(line.split(" ", 1) for line in resolved)
    assert options["hostname"] == "10.231.10.11"
    assert options["stricthostkeychecking"] == "true"
    assert options["userknownhostsfile"] == str(lab.known_hosts)
    assert options["globalknownhostsfile"] == "/dev/null"
