"""Fixtures of the restic module tests: real repositories under tmp_path."""

from __future__ import annotations

import shutil

import pytest
from restic_harness import restic

if shutil.which("restic") is None:
    pytest.skip("restic is not installed (tools/debian-packages.txt)", allow_module_level=True)


@pytest.fixture(scope="session")
def template_repository(tmp_path_factory):
    """One initialised repository; its key derivation costs seconds, a copy costs nothing."""
    path = tmp_path_factory.mktemp("template") / "repo"
    restic(path, "init")
    return path


@pytest.fixture
def repository(tmp_path, template_repository):
    """An initialised, empty local repository of the test's own."""
    path = tmp_path / "repo"
    shutil.copytree(template_repository, path)
    return path
