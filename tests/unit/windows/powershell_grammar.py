"""The parser gate: a rendered script read by a real PowerShell grammar (tree-sitter-powershell,
through py-tree-sitter), and its syntax tree searched for what Windows PowerShell 5.1 cannot run.

No PowerShell runtime exists here, so this is the strongest proof of syntax we have: the same
grammar editors use, with 0 ERROR and 0 MISSING nodes demanded. The grammar follows PowerShell
7, so a clean parse does not mean 5.1 accepts the script; the constructs 7 added are looked for
in the tree and named. One thing the grammar gets wrong the other way: bare words in a comma
list (``-Header a, b``) are valid PowerShell it cannot read, so the scripts quote such words.
"""

from __future__ import annotations

import re

import tree_sitter_powershell
from tree_sitter import Language, Parser, Query, QueryCursor

LANGUAGE = Language(tree_sitter_powershell.language())
PARSER = Parser(LANGUAGE)
# Found by a query (in C): walking every node of a 300-control script in Python takes seconds.
COMMANDS_AND_CHAINS = Query(LANGUAGE, "(command) @command (pipeline_chain_tail) @chain")

# The -Encoding names PowerShell 6 and 7 added; 5.1 knows Unicode, UTF8, Default, Ascii ... only.
ENCODINGS_AFTER_51 = {"utf8nobom", "utf8bom", "ansi", "bigendianutf32"}
FOREACH_NAMES = {"foreach-object", "foreach", "%"}
# Operators the grammar does not know at all: they surface as ERROR nodes, named from their text.
QUESTION_OPERATORS = (
    (re.compile(r"\?\?"), "the ?? / ??= operators (PowerShell 7)"),
    (re.compile(r"\?[.\[]"), "the ?. / ?[] operators (PowerShell 7)"),
    (re.compile(r"\?"), "the ternary ? : operator (PowerShell 7)"),
)


def parse(text):
    return PARSER.parse(text.encode("utf-8"))


def _nodes(node):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def _line(node):
    return node.start_point[0] + 1


def _text(node):
    return node.text.decode("utf-8")


def _errors(root):
    """The innermost ERROR nodes and the MISSING ones (a clean tree is not walked)."""
    if not root.has_error:
        return
    for node in _nodes(root):
        if node.is_missing or (node.type == "ERROR" and not any(child.type == "ERROR" for child in node.children)):
            yield node


def syntax_problems(text):
    """Every ERROR and MISSING node, innermost first, as 'line N: ...'."""
    problems = []
    for node in _errors(parse(text).root_node):
        if node.is_missing:
            problems.append(f"line {_line(node)}: MISSING {node.type}")
        else:
            problems.append(f"line {_line(node)}: ERROR at {_text(node)[:60]!r}")
    return problems


def _parameter(node):
    """'-Encoding:' -> 'encoding'."""
    return _text(node).lstrip("-").rstrip(":").lower()


def _command_parts(command):
    """(name, [(parameter or None, node)]) of one command: arguments with the parameter they follow."""
    name_node = command.child_by_field_name("command_name")
    name = _text(name_node).lower() if name_node is not None else ""
    elements = command.child_by_field_name("command_elements")
    parts, pending = [], None
    for child in elements.children if elements is not None else []:
        if child.type in ("command_argument_sep", "redirection"):
            continue
        if child.type == "command_parameter":
            if pending is not None:
                parts.append((pending, None))
            pending = _parameter(child)
            continue
        parts.append((pending, child))
        pending = None
    if pending is not None:
        parts.append((pending, None))
    return name, parts


def _abbreviates(given, full, shortest=2):
    """PowerShell accepts any unambiguous prefix of a parameter name."""
    return len(given) >= shortest and full.startswith(given)


def _command_problems(command):
    name, parts = _command_parts(command)
    line = _line(command)
    parameters = [parameter for parameter, _ in parts if parameter]
    if name in FOREACH_NAMES and any(_abbreviates(p, "parallel") for p in parameters):
        yield f"line {line}: ForEach-Object -Parallel (PowerShell 7)"
    if name == "convertfrom-json" and any(_abbreviates(p, "ashashtable", 1) for p in parameters):
        yield f"line {line}: ConvertFrom-Json -AsHashtable (PowerShell 6)"
    for parameter, value in parts:
        if parameter and _abbreviates(parameter, "encoding", 3) and value is not None:
            encoding = _text(value).strip("'\"").lower()
            if encoding in ENCODINGS_AFTER_51 or encoding.isdigit():
                yield f"line {line}: -Encoding {encoding} (PowerShell 6)"
    if name == "join-path":
        if any(_abbreviates(p, "additionalchildpath", 1) for p in parameters):
            yield f"line {line}: Join-Path -AdditionalChildPath (PowerShell 6)"
        paths = [p for p, v in parts if v is not None and (p is None or p in ("path", "childpath"))]
        if len(paths) > 2:
            yield f"line {line}: Join-Path with more than one child path (PowerShell 6)"


def newer_than_51(text):
    """Constructs Windows PowerShell 5.1 does not have, as 'line N: what'."""
    source = text.encode("utf-8")
    root = PARSER.parse(source).root_node
    found = QueryCursor(COMMANDS_AND_CHAINS).captures(root)
    problems = [f"line {_line(node)}: && / || between pipelines (PowerShell 7)" for node in found.get("chain", [])]
    for command in found.get("command", []):
        problems.extend(_command_problems(command))
    for node in _errors(root):
        if node.type == "ERROR":
            # The unknown operator and what follows it: '?' alone says nothing of '?.' or '??'.
            around = source[node.start_byte : node.end_byte + 2].decode("utf-8", "replace")
            without_strings = re.sub(r"'(?:[^']|'')*'", "''", around)
            for pattern, what in QUESTION_OPERATORS:
                if pattern.search(without_strings):
                    problems.append(f"line {_line(node)}: {what}")
                    break
    return problems


def gate_problems(text):
    """What stops a script at the gate: grammar errors, then what 5.1 cannot run."""
    return syntax_problems(text) + newer_than_51(text)
