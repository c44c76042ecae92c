"""Hostile strings in a supplier contract: identifiers and paths take none, text only what its
encoders carry, and an alias bomb in meta/landingzone.yml is refused at once."""

import copy
import sys
import time
from pathlib import Path

import pytest

from landingzone.card.fields import field_path
from landingzone.supplier_role import ContractError, load, validate

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from hostile_strings import FIELD_VALUES  # noqa: E402

GOOD = {
    "contract_version": 1,
    "role": "example_app",
    "description": "Books appointments.",
    "ports": [{"port": 443, "proto": "tcp", "sources": ["any"], "purpose": "HTTPS"}],
    "backup": {"paths": ["/srv/example"], "databases": [{"engine": "postgresql", "name": "example"}]},
    "services": ["example.service"],
    "health_check": {"https": {"path": "/health", "expect": "ok"}, "timeout": 10},
    "waiver_requests": [{"control": "LZ-PERM-003", "justification": "The vendor's client writes the group file."}],
}
COMMAND_CHECK = {"command": {"argv": ["/usr/local/bin/check", "--quiet"], "expect": "ok"}}
HOSTILE = {**FIELD_VALUES, "parent directory": "{valid}/../../etc"}
IDENTIFIERS = [
    (("role",), "example_app"),
    (("backup", "paths", 0), "/srv/example"),
    (("backup", "databases", 0, "name"), "example"),
    (("services", 0), "example.service"),
    (("health_check", "https", "path"), "/health"),
    (("waiver_requests", 0, "control"), "LZ-PERM-003"),
]
TEXT = [
    (("description",), ("nul", "newline", "rtl override", "10 kB")),
    (("ports", 0, "purpose"), ("nul", "newline", "rtl override", "10 kB", "double quote")),
    (("health_check", "https", "expect"), ("nul", "newline", "10 kB")),
    (("waiver_requests", 0, "justification"), ("nul", "rtl override", "10 kB")),
]


field_name = field_path


def changed(path, value, base=GOOD):
    data = copy.deepcopy(base)
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return data


def refused_fields(data) -> list[str]:
    with pytest.raises(ContractError) as caught:
        validate(data, "roles/example_app/meta/landingzone.yml")
    assert caught.value.exit_code == 2
    return [field for field, _ in caught.value.problems]


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize(("path", "valid"), IDENTIFIERS, ids=lambda v: field_name(v) if isinstance(v, tuple) else "")
def test_an_identifier_or_path_takes_no_hostile_string(path, valid, kind):
    value = HOSTILE[kind].format(valid=valid)
    assert field_name(path) in refused_fields(changed(path, value))


@pytest.mark.parametrize(
    ("path", "kind"), [(path, kind) for path, kinds in TEXT for kind in kinds], ids=lambda v: str(v)
)
def test_text_refuses_what_no_file_can_carry(path, kind):
    assert field_name(path) in refused_fields(changed(path, HOSTILE[kind].format(valid="x")))


@pytest.mark.parametrize("kind", ["command substitution", "single quote", "semicolon"])
def test_text_carries_shell_syntax_as_data(kind):
    contract = validate(changed(("ports", 0, "purpose"), HOSTILE[kind]), "x.yml")
    assert contract.data["ports"][0]["purpose"] == HOSTILE[kind]


@pytest.mark.parametrize("path", ["/srv/.", "/srv/..", "/./srv", "//srv", "/srv/", "srv", "/srv/a b"])
def test_a_backup_path_is_absolute_and_plain(path):
    assert "backup.paths[0]" in refused_fields(changed(("backup", "paths", 0), path))


@pytest.mark.parametrize("path", ["/srv/.hidden", "/var/lib/..data", "/srv/app@1/data+x"])
def test_a_backup_path_may_hold_dots_that_are_no_steps(path):
    assert validate(changed(("backup", "paths", 0), path), "x.yml").data["backup"]["paths"] == [path]


@pytest.mark.parametrize("kind", ["nul", "newline", "10 kB"])
def test_a_command_argument_takes_no_control_character(kind):
    data = changed(("health_check",), copy.deepcopy(COMMAND_CHECK))
    assert validate(data, "x.yml").data["health_check"] == COMMAND_CHECK
    hostile = changed(("health_check", "command", "argv", 1), HOSTILE[kind], base=data)
    assert "health_check.command.argv[1]" in refused_fields(hostile)


def test_an_alias_bomb_in_a_contract_is_refused_at_once(tmp_path):
    role = tmp_path / "example_app"
    (role / "meta").mkdir(parents=True)
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    (role / "meta" / "landingzone.yml").write_text("\n".join(lines) + "\ndescription: *a8\n")
    started = time.monotonic()
    with pytest.raises(ContractError) as caught:
        load(role)
    assert time.monotonic() - started < 1
    assert "alias bomb" in str(caught.value) and str(role / "meta" / "landingzone.yml") in str(caught.value)


def test_an_unknown_key_with_a_newline_cannot_forge_a_line_of_the_error():
    data = changed(("ports", 0, "x\nroles/other/meta/landingzone.yml: role: fine"), 1)
    with pytest.raises(ContractError) as caught:
        validate(data, "roles/example_app/meta/landingzone.yml")
    (line,) = str(caught.value).splitlines()
    assert line.startswith("roles/example_app/meta/landingzone.yml: ports[0]['x\\nroles/other/meta/landingzone.yml")
