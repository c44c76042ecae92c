"""aide_database: an initialised AIDE database, the baseline file integrity is measured against."""

from __future__ import annotations

import os

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import fileops
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.catalog import param
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.finding import Finding
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.transaction import PHASE_LATE, Action

PARAMS = {
    "database": param("path", default="/var/lib/aide/aide.db"),
}
# The row of docs/controls.md's table of types (tools/catalog_docs.py --types writes it).
DOC_PARAMS = "`database`"
DOC_MANAGES = "an initialised AIDE database"


def check(params, ctx):
    database = params["database"]
    meta = fileops.metadata(ctx.path(database), ctx.names_of)
    ready = meta.get("exists", False)
    return Finding(
        compliant=ready,
        found=meta,
        expected={"exists": True, "path": database},
        reason="" if ready else f"{database} does not exist",
    )


def _initialise(database):
    def call(ctx):
        # Debian's aide.conf writes the new database next to the old one (database_out);
        # it becomes the reference only once complete.
        result = ctx.run(["aide", "--config", "/etc/aide/aide.conf", "--init"])
        if result.ok:
            os.replace(ctx.path(database + ".new"), ctx.path(database))
        return result

    return call


def fix(params, ctx, finding):
    # Last of all: the baseline must describe the system after every other change.
    # aide itself rather than Debian's aideinit wrapper: aideinit drops capabilities
    # through capsh, which fails where the bounding set lacks them (containers).
    ctx.tx.add_action(
        Action(
            key=("aide", "--init"),
            description="aide --init",
            phase=PHASE_LATE,
            call=_initialise(params["database"]),
        )
    )
