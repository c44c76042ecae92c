"""Hosts of every kind the linux_baseline role selects its controls for, and a playbook run on them
through real ansible-playbook (localhost, the local connection, nothing but files in a temporary
directory written): the proofs that two ways of reading or selecting the catalog give each host the
same controls, rendered with its own variables, share them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ROLE = ROOT / "roles" / "linux_baseline"

HOSTS = {
    "important-2023": {},
    # Its log forwarding controls are not configured: their templates fail on it, if ever rendered.
    "essential-no-collector": {"linux_baseline_level": "essential"},
    "essential-logs": {
        "linux_baseline_level": "essential",
        "linux_baseline_ntp_servers": ["ntp1.example.invalid", "10.231.10.1"],
        "linux_baseline_log_collector": {"host": "logs.example.invalid", "port": 6514},
        "linux_baseline_log_ca_cert": "CA",
        "linux_baseline_log_client_cert": "CERT",
        "linux_baseline_log_client_key": "KEY",
        "linux_baseline_disabled_controls": ["LZ-MOD-006"],
    },
    "basic-2025-gateway": {
        "linux_baseline_level": "basic",
        "linux_baseline_cyfun_edition": 2025,
        "landingzone_baseline_adjustments": [
            {
                "role": "vpn_gateway",
                "forwarding": True,
                "forward_from": [{"interface": "lzwg0"}],
                "inbound": [{"port": 51820, "proto": "udp", "sources": ["10.0.0.0/8"]}],
                "sysctls": {"net.ipv4.conf.all.rp_filter": 2},
            }
        ],
    },
}


# The start of a play on HOSTS, as run_playbook formats it: the role's vars, and ``selected_controls``,
# the selection the role made with the select_controls filter from ``linux_baseline_catalog`` before
# its engine's action plugin selected itself. The tasks follow.
PLAY_ON_HOSTS = """
- name: The linux_baseline selection on hosts of every kind
  hosts: all
  gather_facts: false
  vars_files: [{vars_file}]
  vars:
    role_path: {role}
    selected_controls: >-
      {{{{ linux_baseline_catalog
         | cyberveilig.landingzone.select_controls(level=linux_baseline_level, edition=linux_baseline_cyfun_edition,
             disabled=linux_baseline_disabled_controls, adjustments=landingzone_baseline_adjustments | default([])) }}}}
  tasks:"""


def run_playbook(directory: Path, playbook: str, **all_vars) -> subprocess.CompletedProcess:
    """``playbook`` (a format string of ``vars_file``, ``role`` and ``out``, the directory) run on
    HOSTS, each with the role's defaults and ``all_vars``."""
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = directory / "hosts.yml"
    inventory.write_text(
        yaml.safe_dump(
            {"all": {"vars": {**defaults, **local, **all_vars}, "hosts": {n: dict(v) for n, v in HOSTS.items()}}}
        ),
        encoding="utf-8",
    )
    path = directory / "playbook.yml"
    path.write_text(playbook.format(vars_file=ROLE / "vars" / "main.yml", role=ROLE, out=directory), encoding="utf-8")
    return subprocess.run(
        [str(Path(sys.executable).with_name("ansible-playbook")), "-i", str(inventory), str(path)],
        cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600, check=False,
    )  # fmt: skip
