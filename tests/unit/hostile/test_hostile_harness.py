"""The harness itself: it must catch a value that is not encoded, or it proves nothing."""

import shlex
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hostile_strings import CANARY, HOSTILE, inert, shell_run  # noqa: E402

SCRIPT = "#!/bin/sh\nset -u\nrestic backup --tag {tag} /srv\n"


def render(encode):
    return lambda value: SCRIPT.format(tag=encode(value))


@pytest.fixture(autouse=True)
def no_canary():
    CANARY.unlink(missing_ok=True)
    yield
    CANARY.unlink(missing_ok=True)


@pytest.mark.parametrize("kind", [kind for kind in HOSTILE if kind != "nul"])
def test_a_quoted_value_is_one_argument_of_the_stub(tmp_path, kind):
    parse = lambda script: shell_run(script, {"restic": "ok"}, tmp_path)  # noqa: E731
    assert inert(render(shlex.quote), parse, HOSTILE[kind]) == "carried"


@pytest.mark.parametrize("kind", ["command substitution", "backticks", "semicolon", "newline"])
def test_an_unquoted_value_is_caught(tmp_path, kind):
    parse = lambda script: shell_run(script, {"restic": "ok"}, tmp_path)  # noqa: E731
    with pytest.raises(AssertionError):
        inert(render(lambda value: value), parse, HOSTILE[kind])
