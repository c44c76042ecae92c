"""Fixtures of the card tests: the checkout's catalogs and the fixture vault password."""

import pytest
from card_testdata import CARDS, ROOT

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
