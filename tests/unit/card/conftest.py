"""Fixtures of the card tests: the checkout's catalogs, the fixture vault password and a copy of the demo."""

import shutil

import pytest
from card_testdata import CARDS, DEMO, ROOT

from landingzone.card import catalog_roles, known_control_ids


@pytest.fixture(scope="session")
def control_ids() -> set[str]:
    return known_control_ids(ROOT)


@pytest.fixture(scope="session")
def vault_secret() -> bytes:
    return (CARDS / "vault-password.txt").read_text().strip().encode()


@pytest.fixture(scope="session")
def control_roles() -> dict[str, str]:
    return catalog_roles(ROOT)


@pytest.fixture
def demo_fleet(tmp_path, monkeypatch):
    """A fleet holding a copy of the demo municipality, the caller's vault settings out of the way."""
    shutil.copytree(DEMO, tmp_path / "demo")
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD", raising=False)
    monkeypatch.delenv("LANDINGZONE_VAULT_PASSWORD_FILE", raising=False)
    return tmp_path
