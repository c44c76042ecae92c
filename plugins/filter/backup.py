"""Filters of the backup roles.

The documentation of each filter lives next to this file (``<filter>.yml``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def backup_dump_file(database, directory):
    """The file the backup agent dumps a database to: ``<directory>/<engine>-<name>.sql``.

    The agent (roles/backup_agent/files/landingzone-backup) runs on the host and imports nothing
    from the collection, so it names its dumps itself; a unit test holds the two to one name.
    """
    if not isinstance(database, Mapping) or not database.get("engine") or not database.get("name"):
        raise AnsibleFilterError(f"backup_dump_file: expected a database as {{engine, name}}, got {database!r}")
    return f"{str(directory).rstrip('/')}/{database['engine']}-{database['name']}.sql"


class FilterModule:
    """Backup filters of cyberveilig.landingzone."""

    def filters(self):
        return {"backup_dump_file": backup_dump_file}
