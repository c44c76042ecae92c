"""Hostile strings in the role's free-text variables stay inert in the PowerShell the engine
renders: each is either carried as one string literal that reads back byte for byte, or refused
before anything is rendered. The script is parsed with the parser gate's real PowerShell grammar
(tree-sitter), rendered twice (a placeholder, then the hostile string; tests/hostile_strings.py),
and the two parse trees must be the same once the value is swapped back. What PowerShell itself
then does is proven only on a real Windows host (tests/live); none exists here."""

from __future__ import annotations

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.powershell import SINGLE_QUOTES
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.script import render_script
from hostile_strings import HOSTILE, inert
from powershell_grammar import parse
from windows_testdata import engine_args, rendered_catalog

SESSION_HOST = {"windows_baseline_session_host": True}
AD = {"windows_baseline_identity": "ad"}


def _catalog_value(variable, context=None, wrap=lambda value: value):
    """Renders the virtual PC's apply script with ``variable`` set to a value."""

    def render(value):
        catalog = rendered_catalog(**(context or {}), **{variable: wrap(value)})
        return render_script(prepare(engine_args(catalog=catalog, level="essential"), "h").plan, applying=True)

    return render


def _management_account(value):
    # The value as the name part of a domain account, on a session host: the account is kept out
    # of FSLogix profiles there, which is where it reaches a script.
    account = f"GEMEENTE\\{value}"
    catalog = rendered_catalog(**AD, **SESSION_HOST, windows_baseline_management_account=account)
    args = engine_args(catalog=catalog, level="essential", identity="ad", management_account=account)
    return render_script(prepare(args, "h").plan, applying=True)


# Each free-text variable of the role that reaches a script, and how a test sets it.
FIELDS = {
    "legal notice text": _catalog_value("windows_baseline_legal_notice_text"),
    "legal notice caption": _catalog_value("windows_baseline_legal_notice_caption"),
    "FSLogix profile location": _catalog_value(
        "windows_baseline_fslogix_vhd_locations", SESSION_HOST, wrap=lambda value: [value]
    ),
    "management account": _management_account,
}


def _verbatim(text):
    """A single-quoted PowerShell string as PowerShell reads it: the quotes off, doubled marks single."""
    body = text[1:-1]
    for mark in SINGLE_QUOTES:
        body = body.replace(mark + mark, mark)
    return body


def structure(script):
    """The script's parse tree as plain values: each leaf's type and what it reads as."""
    tree = parse(script)
    assert not tree.root_node.has_error, "the grammar does not parse the script"
    leaves, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        if node.child_count == 0:
            text = node.text.decode("utf-8")
            leaves.append((node.type, _verbatim(text) if node.type == "verbatim_string_characters" else text))
        stack.extend(reversed(node.children))
    return leaves


@pytest.mark.parametrize("hostile", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("field", FIELDS, ids=FIELDS.keys())
def test_a_hostile_value_is_one_string_literal_or_refused(field, hostile):
    assert inert(FIELDS[field], structure, hostile) in ("carried", "refused")


@pytest.mark.parametrize("character", ["\n", "\r", "\x00"], ids=["newline", "carriage return", "nul"])
def test_a_line_break_or_nul_is_refused_not_reindented_with_its_block(character):
    # A line break inside quotes would take the block's indentation into the registry value.
    assert inert(FIELDS["legal notice text"], structure, f"zq{character}qz") == "refused"


FREE_TEXT = [field for field in FIELDS if field != "management account"]  # an account has a pattern of its own


@pytest.mark.parametrize("field", FREE_TEXT)
def test_a_free_text_value_that_closes_its_quote_stays_inside_it(field):
    # The attack the quoting exists for, with a typographic quote too (PowerShell takes it as ').
    for attack in ("zq'; Stop-Computer; 'qz", "zq\u2019; Stop-Computer; \u2019qz"):
        assert inert(FIELDS[field], structure, attack) == "carried"
