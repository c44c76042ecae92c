"""backup_dump_file names each dump as the backup agent writes it, so a restore finds it."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.filter.backup import FilterModule, backup_dump_file
from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _restic_manifest
from role_script import load_role_script

AGENT = Path(__file__).resolve().parents[4] / "roles" / "backup_agent" / "files" / "landingzone-backup"


@functools.cache
def agent_program():
    """The agent's program; on a host it imports the manifest writer the role installs beside it,
    here the collection's."""
    return load_role_script(AGENT, "landingzone_backup_agent", beside={"manifest": _restic_manifest})


@pytest.mark.parametrize(
    "database",
    [
        {"engine": "postgresql", "name": "portal"},
        {"engine": "postgresql", "name": "all"},
        {"engine": "mariadb", "name": "finance"},
    ],
)
@pytest.mark.parametrize("directory", ["/var/lib/landingzone-backup/dumps", "/srv/dumps/"])
def test_the_filter_and_the_agent_name_a_dump_alike(database, directory):
    assert backup_dump_file(database, directory) == agent_program().dump_file(directory.rstrip("/"), database)


def test_the_name_is_engine_dash_name_in_the_directory():
    dump = backup_dump_file({"engine": "mariadb", "name": "finance"}, "/var/lib/landingzone-backup/dumps/")
    assert dump == "/var/lib/landingzone-backup/dumps/mariadb-finance.sql"


@pytest.mark.parametrize("database", [{"engine": "postgresql"}, {"name": "x"}, "postgresql-x", None])
def test_anything_but_a_database_is_an_error_that_shows_it(database):
    with pytest.raises(AnsibleFilterError, match="expected a database as"):
        backup_dump_file(database, "/dumps")


def test_the_filter_is_registered():
    assert FilterModule().filters()["backup_dump_file"] is backup_dump_file
