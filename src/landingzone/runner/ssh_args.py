"""The ssh arguments of a municipality run: strict host key checking against the
municipality's known_hosts first, then the connection settings of ansible.cfg.

They reach Ansible as the extra variable ansible_ssh_args. Ansible puts ssh_args before
every other ssh option it builds, and an extra variable outranks an inventory's own
ansible_ssh_args; so whatever the inventory says, the trust options come first, and ssh
keeps the first value it reads.
"""

import configparser
import json
import shlex
from pathlib import Path

from landingzone.ssh_trust import ssh_arguments


def configured_ssh_args(ansible_cfg: Path) -> str:
    """[ssh_connection] ssh_args of the checkout's ansible.cfg ('' when it sets none)."""
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",))
    parser.read(ansible_cfg, encoding="utf-8")
    return parser.get("ssh_connection", "ssh_args", fallback="").strip()


def run_ssh_args(ansible_cfg: Path, known_hosts: Path) -> str:
    return " ".join(filter(None, [shlex.join(ssh_arguments(known_hosts)), configured_ssh_args(ansible_cfg)]))


def connection_extra_vars(ansible_cfg: Path, known_hosts: Path, control_path_dir: Path) -> str:
    """The `-e` value of a run, as JSON (which ansible-playbook reads as an extra-vars document):
    its ssh arguments, and the directory of its own ssh masters (ssh_masters.py)."""
    return json.dumps(
        {
            "ansible_ssh_args": run_ssh_args(ansible_cfg, known_hosts),
            "ansible_host_key_checking": True,
            "ansible_control_path_dir": str(control_path_dir),
        }
    )
