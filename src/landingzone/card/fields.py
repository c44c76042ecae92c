"""How a place in the card is written in messages: ``waivers[0].control``."""

from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.json_schema_subset import field_name

# One way of naming a place, for the card and the supplier contract: the collection's.
field_path = field_name


def walk(value, path=()):
    """Every (path, value) pair of nested dicts and lists, parents before children."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, (*path, index))
