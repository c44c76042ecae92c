"""The execution environment carries the exact pins of pyproject.toml, and ansible-builder
turns it into a build context (building the image needs a registry, which is out of reach)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def _pins() -> dict[str, str]:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {pin.split("==")[0]: pin for pin in dependencies}


def _run(*command, cwd=ROOT):
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_the_generated_files_match_pyproject():
    _run(sys.executable, ROOT / "tools" / "execution_environment.py", "--check")


def test_ansible_builder_pinned_in_dev_extras_is_the_one_installed():
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"]
    pin = next(p for p in dev if p.startswith("ansible-builder=="))
    assert _run(BIN / "ansible-builder", "--version").stdout.strip() == pin.split("==")[1]


def test_ansible_builder_create_makes_a_context_with_the_exact_pins(tmp_path):
    shutil.copy(ROOT / "execution-environment.yml", tmp_path)
    shutil.copytree(ROOT / "execution-environment", tmp_path / "execution-environment")
    _run(BIN / "ansible-galaxy", "collection", "build", "--output-path", tmp_path / "build", ROOT)
    _run(
        BIN / "ansible-builder",
        "create",
        "--file",
        tmp_path / "execution-environment.yml",
        "--context",
        tmp_path / "context",
        "--output-filename",
        "Containerfile",
    )
    context = tmp_path / "context"
    containerfile = (context / "Containerfile").read_text()
    requirements = (context / "_build" / "requirements.txt").read_text().splitlines()
    pins = _pins()

    # ansible-core and ansible-runner go in the base stage; every other pin is in requirements.txt.
    refs = next(line for line in containerfile.splitlines() if line.startswith("ARG ANSIBLE_INSTALL_REFS="))
    assert refs == f'ARG ANSIBLE_INSTALL_REFS="{pins["ansible-core"]} {pins["ansible-runner"]}"'
    assert sorted(r for r in requirements if not r.startswith("#")) == sorted(
        pin for name, pin in pins.items() if name not in ("ansible-core", "ansible-runner")
    )
    # The base image is a build argument; the collection from the checkout is in the context.
    assert any(line.startswith("ARG EE_BASE_IMAGE=") for line in containerfile.splitlines())
    assert "FROM $EE_BASE_IMAGE AS base" in containerfile
    assert list((context / "_build" / "landingzone").glob("cyberveilig-landingzone-*.tar.gz"))
    assert "ansible-galaxy collection install --offline --no-deps" in containerfile
