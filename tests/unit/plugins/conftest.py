"""Fixtures of the engine tests; the fake host itself is engine_harness.py."""

from __future__ import annotations

import pytest
from engine_harness import BASE_FILES, BASE_SHADOW, FakeSystem, control, run


@pytest.fixture
def system(tmp_path):
    """A minimal Debian file tree with its fake commands."""
    root = tmp_path / "root"
    fake = FakeSystem(root)
    for path, text in BASE_FILES.items():
        fake.write(path, text)
    fake.write("/etc/shadow", BASE_SHADOW, 0o640)
    return fake


@pytest.fixture
def engine_run():
    return run


@pytest.fixture
def make_control():
    return control
