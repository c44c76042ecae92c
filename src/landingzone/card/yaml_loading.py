"""Reading a card's YAML: ansible-vault values, no silent surprises.

The loader is PyYAML's safe loader (on libyaml's parser where it is built in) with four changes:

- ``!vault |`` values become :class:`VaultText` (decrypted later, field by field, so a wrong
  password can be reported with the field it broke);
- dates stay strings: the schema checks their format, and an unquoted ``2026-13-01`` must be
  reported as a bad date rather than as a YAML error;
- a key given twice in one mapping is an error instead of the last one silently winning;
- aliases may not expand past a bound (an alias bomb is refused in milliseconds).
"""

from dataclasses import dataclass

import yaml
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.yaml_limits import load_bounded

from landingzone.card.catalogs import SAFE_LOADER


@dataclass(frozen=True)
class VaultText:
    """An ansible-vault encrypted scalar as it appears in the file."""

    ciphertext: str
    line: int


class DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class CardLoader(SAFE_LOADER):
    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise DuplicateKeyError(
                    problem=f"key {key!r} appears twice in this mapping", problem_mark=key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _construct_vault(loader: CardLoader, node: yaml.Node) -> VaultText:
    return VaultText(ciphertext=loader.construct_scalar(node), line=node.start_mark.line + 1)


CardLoader.add_constructor("!vault", _construct_vault)
CardLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse(text: str):
    """The card's data. Raises yaml.YAMLError (with a problem_mark) on bad YAML."""
    return load_bounded(text, CardLoader)


class LineIndex:
    """Finds the line (1-based) of a field in the card's text, for error messages."""

    def __init__(self, text: str):
        try:
            self._root = yaml.compose(text, Loader=CardLoader)
        except yaml.YAMLError:
            self._root = None

    def line(self, path: tuple) -> int | None:
        """The line of the node at ``path``, or of its nearest ancestor that exists."""
        node = self._root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for step in path:
            node = _child(node, step)
            if node is None:
                break
            line = node.start_mark.line + 1
        return line


def _child(node, step):
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                return value_node
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]
    return None
