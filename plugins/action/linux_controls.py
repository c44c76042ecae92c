# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2
"""Controller half of linux_controls: check and select the catalog and apply waivers before the module
runs, tell the engine who must keep access, and confirm a committed run over a fresh connection.

Given the role's catalog directory (``catalog_dir``, with ``level``, ``edition``, ``disabled`` and
``adjustments``), it reads the catalog itself (plugin_utils/catalog_files.py, as the
control_catalog lookup does), selects this host's controls and checks them once, here: the module
runs them as they come. Only the selected controls' templates (``configured_when`` of a control of
the host's level, then ``params``) are rendered, with this task's variables: a control this host
does not run may hold a template that fails here (the log collector's address where the card names
none), and is never rendered. Given a whole ``catalog`` already rendered, as the Windows engine's
action plugin is, it does the same without rendering. A catalog mistake is reported here, naming
the control and the field, without anything being sent to or executed on the host.
"""

from __future__ import annotations

import getpass
import time

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import linux_catalog
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.keepers import SSH_TRANSPORTS
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.results import summarise
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
    ControlError,
    split_secrets,
    validate_controls,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.waivers import WaiverError, annotate
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.catalog_files import (
    CatalogFileError,
    read_catalog,
)

MODULE = "cyberveilig.landingzone.linux_controls"
# After a failed confirmation: how long past the host's deadline the controller keeps
# trying to read what the host did, and how often.
REVERT_GRACE = 60
RETRY_EVERY = 5


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(
        (
            "controls",
            "mode",
            "rollback_run",
            "confirm_run",
            "run_id",
            "root",
            "host_kind",
            "exempt_accounts",
            "backup_dir",
            "waivers",
            "known_controls",
            "access",
            "commit_confirmed",
            "catalog",
            "catalog_dir",
            "level",
            "edition",
            "disabled",
            "adjustments",
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
            module_args, warnings = prepare(
                args, waivers, hostname, groups=groups, known_ids=known_ids, render=self._renderer(task_vars)
            )
        except (ControlError, WaiverError, CatalogFileError) as exc:
            result.update(failed=True, changed=False, msg=str(exc))
            return result
        if module_args.get("access") is not None:
            module_args["access"] = dict(module_args["access"], **self._connection_facts())
        result.update(self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars))
        armed = result.get("commit_confirmed")
        if armed and not self._task.check_mode:
            self._confirm(result, armed, module_args, task_vars)
        if warnings:
            result["warnings"] = list(result.get("warnings") or []) + warnings
        return result

    def _renderer(self, task_vars):
        """Renders one field of one selected control with this task's variables (see linux_catalog.selection)."""
        templar = self._templar.copy_with_new_env(available_variables=task_vars)

        def render(control_id, field, value):
            try:
                return templar.template(value)
            except AnsibleError as exc:
                # Ansible's message names the expression and why it failed (an undefined variable, a
                # filter's refusal); the catalog's secret params are bare variables, never filtered.
                raise ControlError(
                    f"control {control_id}: {field}: cannot be rendered for this host: {exc.message}"
                ) from None

        return render

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
        facts = {
            "connected_account": user or self._play_context.remote_user or getpass.getuser(),
            "transport": connection.transport,
            "become_method": method,
            "become_password": password,
        }
        if connection.transport.rsplit(".", 1)[-1] in SSH_TRANSPORTS:
            # The session as the host sees it (client address after any NAT, the port sshd
            # answered on). Asked of the account's own shell, before any become: sudo drops
            # SSH_CONNECTION, and a container's root may not read its ancestors' environment.
            seen = self._low_level_execute_command('printf %s "$SSH_CONNECTION"', sudoable=False)
            if seen.get("rc") == 0 and seen.get("stdout", "").strip():
                facts["ssh_connection"] = seen["stdout"].strip()
        return facts

    def _confirm_once(self, module_args, run_id, task_vars):
        """A new connection (not the persistent one), a real become, and the confirm module."""
        if self._connection.transport.rsplit(".", 1)[-1] in SSH_TRANSPORTS:
            # Stops ControlPersist's master: the next command opens, and authenticates, a new one.
            self._connection.reset()
        confirm_args = {"mode": "confirm", "confirm_run": run_id}
        for name in ("backup_dir", "root"):
            if module_args.get(name):
                confirm_args[name] = module_args[name]
        try:
            outcome = self._execute_module(module_name=MODULE, module_args=confirm_args, task_vars=task_vars)
        except AnsibleError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        if outcome.get("failed") or outcome.get("unreachable"):
            return None, str(outcome.get("msg") or "the confirming module failed")
        return outcome, ""

    def _confirm(self, result, armed, module_args, task_vars):
        run_id = result["run_id"]
        outcome, error = self._confirm_once(module_args, run_id, task_vars)
        if outcome is None:
            # The host reverts itself once its deadline has passed; then a login works again and
            # says what it restored. Until then every try is a new connection that may fail.
            deadline = time.monotonic() + armed["seconds"] + REVERT_GRACE
            while time.monotonic() < deadline:
                time.sleep(RETRY_EVERY)
                outcome, _ = self._confirm_once(module_args, run_id, task_vars)
                if outcome is not None and (outcome.get("reverted") or outcome.get("confirmed")):
                    break
        armed = dict(armed, confirmed=bool(outcome and outcome.get("confirmed")), error=error)
        if outcome and outcome.get("reverted"):
            armed.update(reverted=True, revert=outcome.get("revert"))
        result["commit_confirmed"] = armed
        if armed["confirmed"] and not error:
            return
        result["failed"] = True
        if armed.get("reverted"):
            why = f"no fresh login as the run's account confirmed it ({error}); the host rolled the run back"
        elif armed["confirmed"]:
            why = f"the first fresh login after the commit failed ({error}); a later one confirmed the run"
            result["failed"] = False
        else:
            why = f"no fresh login confirmed the run ({error}), and the host could not be reached to see its revert"
        result["msg"] = why
        if armed.get("reverted"):
            for record in result.get("results") or []:
                if record.get("status") == "fixed":
                    record.update(status="error", changed=False, reason=f"reverted: {why}")
            result["summary"] = summarise(result.get("results") or [])


# The arguments that select this host's controls from the role's catalog; never sent to the host.
SELECTION_ARGS = ("catalog", "catalog_dir", "level", "edition", "disabled", "adjustments")
# The role variables behind the selection's arguments, named when the selection leaves nothing to run.
NOTHING_SELECTED = (
    "catalog: no control selected for this host: its level (linux_baseline_level), CyFun edition "
    "(linux_baseline_cyfun_edition) and switches (linux_baseline_disabled_controls) leave none"
)


def select(selection, render=None):
    """This host's controls of the catalog, and every id of it (a waiver may name one switched off)."""
    controls, known_ids = linux_catalog.selection(
        selection["catalog"],
        selection.get("level", "important"),
        disabled=selection.get("disabled"),
        adjustments=selection.get("adjustments"),
        edition=selection.get("edition", linux_catalog.DEFAULT_EDITION),
        render=render,
    )
    if not controls:
        raise ControlError(NOTHING_SELECTED)
    return controls, known_ids


def prepare(args, waivers, hostname, groups=(), known_ids=(), today=None, render=None):
    """The module's arguments: validated controls with waivers applied and secrets set aside.

    ``render`` renders a selected control's templates; it is needed with ``catalog_dir``, whose
    files hold the catalog's templates unrendered."""
    selection = {name: args[name] for name in SELECTION_ARGS if name in args}
    args = {name: value for name, value in args.items() if name not in SELECTION_ARGS}
    if args.get("mode", "audit") in ("rollback", "confirm"):
        return args, []
    if "catalog" in selection and "catalog_dir" in selection:
        raise ControlError("catalog_dir: give either catalog or catalog_dir, not both")
    given = "catalog_dir" if "catalog_dir" in selection else "catalog"
    if given in selection and args.get("controls"):
        raise ControlError(f"controls: give either {given} or controls, not both")
    if "catalog_dir" in selection:
        if render is None:
            raise ControlError("catalog_dir: its templates need the task's variables to render them")
        selection["catalog"] = read_catalog(str(selection.pop("catalog_dir")))
        controls, known_ids = select(selection, render)
    elif "catalog" in selection:
        controls, known_ids = select(selection)
    else:
        controls = args.get("controls") or []
    controls = validate_controls(controls)
    controls, warnings = annotate(controls, waivers, hostname, groups=groups, known_ids=known_ids, today=today)
    public, secret = split_secrets(controls)
    module_args = dict(args, controls=public, checked_on_controller=True)
    if secret:
        module_args["secret_params"] = secret
    return module_args, warnings
