"""Facts about the code that ran, recorded with every run's evidence."""

import getpass
import os
import subprocess
from pathlib import Path

import yaml
from ansible.release import __version__ as ansible_core_version

from landingzone.evidence import catalog_hashes


def project_commit(root: Path) -> str:
    result = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    commit = result.stdout.strip() if result.returncode == 0 else "unknown"
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    return f"{commit}+local-changes" if dirty.returncode == 0 and dirty.stdout.strip() else commit


def collection_version(root: Path) -> str:
    return str(yaml.safe_load((root / "galaxy.yml").read_text(encoding="utf-8")).get("version", "unknown"))


def operator_name() -> str:
    # An explicit name for shared service accounts (CI, AWX) that run on behalf of a person.
    return os.environ.get("LANDINGZONE_OPERATOR") or getpass.getuser()


def run_metadata(root: Path) -> dict:
    return {
        "operator": operator_name(),
        "project_commit": project_commit(root),
        "collection_version": collection_version(root),
        "ansible_core_version": ansible_core_version,
        "catalog_hashes": catalog_hashes(root),
    }
