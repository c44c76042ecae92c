"""The hostile-string harness: proof that a value stays inert in every file it reaches.

A parse alone proves nothing (`sh -n` accepts `"$(id)"`, `nft -c` accepts an injected rule).
So each artefact is rendered twice, with the schema checks bypassed: once with a harmless
placeholder, once with a hostile string. Both renderings are parsed with the file's real tool
to a structure (a list, dict or tuple of plain values). The value must then be one of:

- **carried**: both structures are the same once the value is swapped for the placeholder, so
  it changed nothing but itself, and it reads back byte for byte;
- **refused**: the encoder raised ValueError, and nothing was rendered.

Every hostile string is wrapped in ``zq...qz`` so that swapping it back cannot touch
anything else in the structure.
"""

import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

PLACEHOLDER = "zqplaceholderqz"
CANARY = Path("/tmp/landingzone-hostile-canary")
HOSTILE = {
    "command substitution": f"zq$(touch {CANARY})qz",
    "backticks": f"zq`touch {CANARY}`qz",
    "double quote": 'zq"qz',
    "single quote": "zq'qz",
    "newline": "zq\nqz",
    "nul": "zq\x00qz",
    "semicolon": f"zq; touch {CANARY}qz",
    "parent directory": "zq/../../etc/passwdqz",
    "rtl override": "zq\u202eqz",
    "10 kB": "zq" + "x" * 10_240 + "qz",
}

# For schema tests: each refused in an identifier. "{valid}" stands for a valid value of the
# field, so that a final newline or a ../ step is tried on a value otherwise right.
FIELD_VALUES = {
    "command substitution": "$(id)",
    "backticks": "`id`",
    "double quote": 'a"b',
    "single quote": "a'b",
    "newline": "a\nb",
    "trailing newline": "{valid}\n",
    "nul": "a\x00b",
    "semicolon": "a;id",
    "parent directory": "{valid}/../a",
    "rtl override": "a\u202eb",
    "10 kB": "a" * 10_240,
}


def swapped(structure, old: str, new: str):
    """``structure`` with every occurrence of ``old`` inside its strings replaced by ``new``."""
    if isinstance(structure, str):
        return structure.replace(old, new)
    if isinstance(structure, dict):
        return {swapped(key, old, new): swapped(value, old, new) for key, value in structure.items()}
    if isinstance(structure, list | tuple):
        return type(structure)(swapped(item, old, new) for item in structure)
    return structure


def strings_of(structure):
    if isinstance(structure, str):
        yield structure
    elif isinstance(structure, dict):
        for key, value in structure.items():
            yield from strings_of(key)
            yield from strings_of(value)
    elif isinstance(structure, list | tuple):
        for item in structure:
            yield from strings_of(item)


def inert(
    render: Callable[[str], str],
    parse: Callable[[str], object],
    value: str,
    expected: str | None = None,
    placeholder: str = PLACEHOLDER,
):
    """'carried' or 'refused', or AssertionError saying how ``value`` changed the artefact.

    ``expected`` is what an encoder that keeps only part of a value (an nft comment, a network
    without its zone) is meant to carry; by default the value itself, byte for byte. A field
    with a syntax of its own (a network) takes a ``placeholder`` of that syntax."""
    reference = parse(render(placeholder))
    assert any(placeholder in text for text in strings_of(reference)), "the placeholder does not reach the artefact"
    try:
        text = render(value)
    except ValueError:
        return "refused"
    carried = value if expected is None else expected
    parsed = parse(text)
    assert any(carried in item for item in strings_of(parsed)), f"{carried[:40]!r} does not read back"
    assert swapped(parsed, carried, placeholder) == reference, "the value changed the artefact's structure"
    assert not CANARY.exists(), "a command in the value ran"
    return "carried"


def run(command: list[str], text: str | None = None, **options) -> str:
    """A real tool's output; AssertionError with its message when it refuses the file."""
    result = subprocess.run(command, input=text, capture_output=True, text=True, check=False, **options)
    assert result.returncode == 0, f"{command[0]} refused it: {result.stderr.strip()[:400]}"
    return result.stdout


def shell_run(script: str, stubs: dict[str, str], tmp_path: Path) -> list[list[str]]:
    """Run a rendered shell script the way its host would, but against stub commands: `sh -n`
    first, then `sh` with a PATH holding only the stubs (each a name and the text it prints).
    Returns the argv of every stub call, in order: the structure a script's run has. A
    command the value smuggled in finds no stub of that name and fails; one that exists
    (touch) would create the canary, which ``inert`` checks."""
    run(["sh", "-n"], text=script)
    workdir = Path(tempfile.mkdtemp(dir=tmp_path))
    stub_dir = workdir / "stubs"
    stub_dir.mkdir()
    calls = workdir / "calls"
    calls.write_text("")
    for name, output in stubs.items():
        stub = stub_dir / name
        # Arguments end with RS (\036), calls with GS (\035): a value may hold newlines.
        stub.write_text(
            f'#!/bin/sh\nfor a in "${{0##*/}}" "$@"; do printf "%s\\036" "$a"; done >> {calls}\n'
            f"printf \"\\035\" >> {calls}\nprintf '%s' {shlex.quote(output)}\n"
        )
        stub.chmod(0o755)
    touch = stub_dir / "touch"  # the canary's maker: a real command, as on any host
    touch.symlink_to(shutil.which("touch"))
    # The shell is found before PATH holds only the stubs.
    shell = shutil.which("sh")
    subprocess.run([shell, "-c", script], env={"PATH": str(stub_dir)}, capture_output=True, check=False)
    return [call.split("\x1e")[:-1] for call in calls.read_text().split("\x1d") if call]
