"""The card's variables on disk: secrets go back under the vault, and Ansible reads them."""

import subprocess
import sys
from pathlib import Path

from landingzone.runner.vars_file import write_vars_file

PASSWORD = "vars file password"
SECRET = "supplier-psk-9b1f27c4"


def test_secret_values_are_sealed_and_ansible_opens_them(tmp_path):
    variables = {"landingzone_suppliers": [{"name": "acme", "psk": SECRET}], "linux_baseline_level": "basic"}
    path = write_vars_file(tmp_path / "vars.yml", variables, {SECRET}, PASSWORD)
    text = path.read_text()
    assert SECRET not in text
    assert "psk: !vault |" in text and "$ANSIBLE_VAULT;1.1;AES256" in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    password_file = tmp_path / "pw"
    password_file.write_text(PASSWORD + "\n")
    shown = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible")),
            "all",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-m",
            "ansible.builtin.debug",
            "-a",
            "msg={{ landingzone_suppliers[0].psk }}/{{ linux_baseline_level }}",
            "-e",
            f"@{path}",
            "--vault-password-file",
            str(password_file),
        ],
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,  # away from the checkout's ansible.cfg and its inventory
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert f"{SECRET}/basic" in shown.stdout
