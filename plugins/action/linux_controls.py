# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""Controller half of linux_controls: validate the catalog and apply waivers before the module runs,
and tell the engine who must keep access.

A catalog mistake is reported here, naming the control and the field, without anything
being sent to or executed on the host.
"""

from __future__ import annotations

import getpass

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
    ControlError,
    split_secrets,
    validate_controls,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.waivers import WaiverError, annotate

MODULE = "cyberveilig.landingzone.linux_controls"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(
        (
            "controls",
            "mode",
            "rollback_run",
            "run_id",
            "root",
            "host_kind",
            "exempt_accounts",
            "backup_dir",
            "waivers",
            "known_controls",
            "access",
        )
    )

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        waivers = args.pop("waivers", None) or []
        known_ids = args.pop("known_controls", None) or []
        hostname = task_vars.get("inventory_hostname", "")
        groups = task_vars.get("group_names") or []
        try:
            module_args, warnings = prepare(args, waivers, hostname, groups=groups, known_ids=known_ids)
        except (ControlError, WaiverError) as exc:
            result.update(failed=True, changed=False, msg=str(exc))
            return result
        if module_args.get("access") is not None:
            module_args["access"] = dict(module_args["access"], **self._connection_facts())
        result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        if warnings:
            result["warnings"] = list(result.get("warnings") or []) + warnings
        return result

    def _connection_facts(self):
        """Who the run is connected as and how it becomes root; never the become password itself."""
        connection = self._connection
        try:
            user = connection.get_option("remote_user")
        except (AnsibleError, KeyError):
            user = None
        become = connection.become
        method = become.name.rsplit(".", 1)[-1] if become is not None and self._play_context.become else ""
        password = bool(become is not None and become.get_option("become_pass", playcontext=self._play_context))
        return {
            "connected_account": user or self._play_context.remote_user or getpass.getuser(),
            "transport": connection.transport,
            "become_method": method,
            "become_password": password,
        }


def prepare(args, waivers, hostname, groups=(), known_ids=(), today=None):
    """The module's arguments: validated controls with waivers applied and secrets set aside."""
    if args.get("mode", "audit") == "rollback":
        return args, []
    controls = validate_controls(args.get("controls") or [])
    controls, warnings = annotate(controls, waivers, hostname, groups=groups, known_ids=known_ids, today=today)
    public, secret = split_secrets(controls)
    module_args = dict(args, controls=public)
    if secret:
        module_args["secret_params"] = secret
    return module_args, warnings
