"""YAML read from people's files, with a bound on what its aliases expand to.

A YAML alias repeats a node without copying it, so nine lists of nine aliases nested nine
deep parse in a millisecond yet stand for 9**9 values: every later walk over the data (a
schema check, a search for secrets) then runs for hours. Cards, inventories and supplier
contracts are small, so the bound is generous for them and far below any bomb; a file past
it is refused before anything walks it.

It lives in the collection because the supplier contract is read here, with nothing but
ansible-core installed; the operator's CLI reads cards and inventories through it too.
"""

from __future__ import annotations

import yaml

# Values a file may expand to, aliases counted as often as they are used. The lab card
# holds about 200; a municipality with a hundred services and waivers about 3,000.
MAX_EXPANDED_NODES = 50_000


class YAMLTooLarge(yaml.YAMLError):
    """The file's aliases expand past MAX_EXPANDED_NODES."""

    def __init__(self, count: int):
        self.problem = (
            f"its aliases (*name) expand to more than {MAX_EXPANDED_NODES} values (at least {count}): "
            "refused as an alias bomb; write repeated values out or use fewer aliases"
        )
        self.problem_mark = None
        super().__init__(self.problem)


class YAMLRecursive(yaml.YAMLError):
    """An alias inside the very node it names: the value would never end."""

    def __init__(self, mark):
        self.problem = "an alias (*name) refers to a value that contains it: the value would never end"
        self.problem_mark = mark
        super().__init__(self.problem)


def expanded_size(node, limit: int = MAX_EXPANDED_NODES) -> int:
    """How many nodes ``node`` stands for once every alias is expanded; stops past ``limit``.

    A node reached twice through aliases counts twice, but its size is computed once, so a
    bomb is measured in time proportional to its text, not to what it stands for. An alias
    inside the node it names would stand for an endless value: YAMLRecursive.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()  # the nodes whose children are being counted: a node's ancestors
    # An explicit stack: a deeply nested file must not exhaust Python's recursion limit.
    stack = [(node, False)]
    while stack:
        current, children_counted = stack.pop()
        key = id(current)
        if children_counted:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(current))
            if sizes[key] > limit:
                return sizes[key]
        elif key in on_path:
            raise YAMLRecursive(current.start_mark)
        elif key not in sizes:
            on_path.add(key)
            stack.append((current, True))
            stack.extend((child, False) for child in _children(current))
    return sizes[id(node)]


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def load_bounded(text: str, loader_class=yaml.SafeLoader):
    """The data of a one-document YAML ``text``, read with ``loader_class`` (a SafeLoader);
    YAMLTooLarge when its aliases expand past the bound, yaml.YAMLError when it is not YAML."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = expanded_size(node)
        if size > MAX_EXPANDED_NODES:
            raise YAMLTooLarge(size)
        return loader.construct_document(node)
    except RecursionError:
        # PyYAML composes and constructs recursively: thousands of nested brackets end here.
        raise yaml.YAMLError("its values are nested too deeply to be read") from None
    finally:
        loader.dispose()
