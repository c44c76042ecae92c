"""`ansible-galaxy collection build` makes a tarball that installs and whose
roles Ansible finds."""

import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def test_built_collection_installs_and_lists_its_roles(tmp_path):
    build = subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", "--output-path", tmp_path, ROOT],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    tarball = next(tmp_path.glob("cyberveilig-landingzone-*.tar.gz"))
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    assert "meta/runtime.yml" in names
    assert "roles/log_collector/meta/argument_specs.yml" in names
    assert not any(n.startswith((".venv", "collections/", ".git/", "src/")) for n in names)

    install = subprocess.run(
        [BIN / "ansible-galaxy", "collection", "install", "--offline", "--force"]
        + ["-p", tmp_path / "installed", tarball],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    listed = subprocess.run(
        [BIN / "ansible-doc", "-t", "role", "-l", "cyberveilig.landingzone"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={"ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "installed"), "PATH": str(BIN), "HOME": str(tmp_path)},
    )
    assert listed.returncode == 0, listed.stderr
    assert "cyberveilig.landingzone.log_collector" in listed.stdout
