"""The municipality card: inventories/<municipality>/municipality.yml, checked against a versioned schema."""

from landingzone.card.catalogs import catalog_roles, known_control_ids
from landingzone.card.errors import CardError
from landingzone.card.load import CARD_FILE, load_card, read_card
from landingzone.card.scaffold import new_municipality
from landingzone.card.variables import card_to_vars
from landingzone.card.vault import secret_values

__all__ = [
    "CARD_FILE",
    "CardError",
    "card_to_vars",
    "catalog_roles",
    "known_control_ids",
    "load_card",
    "new_municipality",
    "read_card",
    "secret_values",
]
