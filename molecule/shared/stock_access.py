"""What the stock-host scenarios' tests share: a fresh SSH login as a given account, a real
become of python3 the way Ansible does it (sudo with the account's password on stdin),
and the stock administrator's become password, read from its vault file.

On the verifier's PYTHONPATH through each scenario's molecule.yml (verifier.env)."""

import subprocess
from pathlib import Path

import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

PROJECT = Path(__file__).resolve().parents[2]
BECOME_FILE = PROJECT / "lab" / "stock-image" / "become.yml"
VAULT_PASSWORD = PROJECT / "lab" / "demo-vault-password"
SSH_OPTIONS = [
    "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ControlPath=none",
    "-o", "IdentitiesOnly=yes",
]  # fmt: skip
# What Ansible's sudo become runs, with its own prompt; python3 proves the interpreter runs as root.
BECOME = "sudo -H -S -p '[become]' -u root /bin/sh -c '/usr/bin/python3 -c \"import os; print(os.geteuid())\"'"


class _Vault(yaml.SafeLoader):
    pass


_Vault.add_constructor("!vault", lambda loader, node: loader.construct_scalar(node))


def become_password():
    """The stock administrator's sudo password, as the vault holds it."""
    data = yaml.load(BECOME_FILE.read_text(), Loader=_Vault)  # noqa: S506 - a SafeLoader subclass
    secret = VaultSecret(VAULT_PASSWORD.read_bytes().strip())
    return VaultLib([("default", secret)]).decrypt(data["ansible_become_password"]).decode()


def ssh(key, user, address, command, port=22, stdin=""):
    """A new SSH connection (never a shared master) running `command`."""
    return subprocess.run(
        ["ssh", *SSH_OPTIONS, "-i", str(key), "-p", str(port), f"{user}@{address}", command],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def login_and_become(key, user, address, password, port=22):
    """(logged in, became root): a fresh key login, then sudo with the password on stdin."""
    login = ssh(key, user, address, "id -un", port=port)
    if login.returncode != 0 or login.stdout.strip() != user:
        return False, False
    became = ssh(key, user, address, BECOME, port=port, stdin=f"{password}\n")
    return True, became.returncode == 0 and became.stdout.strip().endswith("0")
