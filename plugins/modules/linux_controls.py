#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

from __future__ import annotations

DOCUMENTATION = r"""
---
module: linux_controls
short_description: Apply or audit a whole catalog of hardening controls in one run
description:
  - Checks every control of a resolved catalog (see docs/controls.md) and, in C(apply) mode, fixes the
    ones that fail, in one module execution.
  - Fixes are staged in memory first. After every control has been checked, each changed file is
    validated (C(sshd -t), C(visudo -c), C(nft -c), C(rsyslogd -N1)), copied to
    O(backup_dir)/<run_id>/<path>, replaced atomically, and only then are the affected services reloaded.
    A file that fails validation is left as it was and its controls report C(error).
  - Check mode is the audit. It reports C(fail) with C(changed=true) for every control an apply would fix,
    and the same diffs.
  - Package controls are checked first and become one C(apt-get install) and one C(apt-get purge), run before any
    other control is checked, so that a package's own configuration file is edited as the package ships it.
  - Before anything is committed, the staged state is checked for the accounts in O(access); a control that would shut
    one of them out is held back (C(fail), nothing of it committed). With O(commit_confirmed) the host reverts the run
    by itself unless a fresh login confirms it.
  - An apply or a rollback holds a lock on the host (C(/run/lock/landingzone-controls.lock)) for its whole run. A second
    run started meanwhile fails at once with a message naming the run that holds it; it changes nothing.
  - The account files are read after the packages are installed (their maintainer scripts may add users), and an apply
    holds their lock (C(/etc/.pwd.lock), the one C(useradd) and C(passwd) take) from before it reads them until they
    are written. A program that holds it for more than 15 seconds makes the run fail before it changes anything.
  - The run's manifest names every file about to change before the first is replaced, and each dated copy is written
    before its file is replaced. The next apply completes a run that died while committing, or rolls it back, and says
    which (RV(recovered)). A full disk leaves each file old or new; what the record could not cover is not replaced.
  - The action plugin of the same name validates the catalog and applies waivers on the controller
    before this module runs.
version_added: 0.1.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  controls:
    description:
      - The resolved controls, in catalog order. Each has C(id), C(title), C(type), C(params), C(level),
        C(risk) and C(applies_to); the action plugin adds C(waiver) and C(waiver_state) (V(active) or
        V(expired)) where a waiver matches this host.
      - C(level) is the control's level in the CyFun edition named by C(cyfun_edition) (2023 or 2025);
        its references (C(cyfun), C(cyfun_2025), C(cis), C(cis_debian13), C(anssi)) are copied into its result.
      - Param schemas per type are listed in docs/controls.md.
    type: list
    elements: dict
    default: []
  mode:
    description:
      - V(apply) fixes what fails (in check mode it only predicts), V(audit) never changes anything,
        V(rollback) restores the backups of run O(rollback_run).
      - V(confirm) disarms the armed revert of run O(confirm_run) (see O(commit_confirmed)); the action
        plugin runs it itself, over a new connection, right after an apply.
    type: str
    choices: [apply, audit, rollback, confirm]
    default: audit
  rollback_run:
    description: The C(run_id) of the run to undo. Required with O(mode=rollback).
    type: str
  confirm_run:
    description: The C(run_id) whose revert O(mode=confirm) disarms.
    type: str
  access:
    description:
      - Who must keep access to the host. Before anything is committed, the engine checks the staged state
        for each of these accounts, and holds back (reports V(fail), commits nothing of) a control that
        would shut one of them out; accounts nobody listed that a control newly shuts out are named as
        warnings on that control.
      - The operator account and the account the run is connected as keep SSH (sshd's effective
        configuration for the session's address and port, group rules, shell, expiry and ageing, faillock,
        pam_access, the staged firewall) and sudo (the candidate sudoers); the break-glass account keeps
        console login and sudo. All three are exempt from ageing and faillock like O(exempt_accounts).
      - The action plugin fills in C(connected_account), C(transport), C(become_method) and
        C(become_password) (whether a become password is given, never the password itself).
    type: dict
    suboptions:
      operator_account:
        description: The account automation and administrators log in with.
        type: str
      operator_group:
        description:
          - The group SSH admits (AllowGroups); a C(login_group) control keeps the operator and the connected
            account in it.
        type: str
      breakglass_account:
        description: The local console-only account for when SSH or the directory fail.
        type: str
      connected_account:
        description: The account the run is connected as. Set by the action plugin.
        type: str
      transport:
        description: The connection plugin (C(ssh), C(containers.podman.podman) ...). Set by the action plugin.
        type: str
      become_method:
        description: How the run becomes root (C(sudo)), empty without become. Set by the action plugin.
        type: str
      become_password:
        description: Whether the run gives a become password. Set by the action plugin.
        type: bool
        default: false
      ssh_connection:
        description:
          - The run's own SSH session as the connected account's shell sees it (C(SSH_CONNECTION)). Set by the
            action plugin; without it the module looks for it in its ancestors' environment.
        type: str
      management_networks:
        description: CIDRs SSH must stay reachable from when the run does not come over SSH itself.
        type: list
        elements: str
        default: []
      ssh_port:
        description: The SSH port of those management networks.
        type: int
        default: 22
  commit_confirmed:
    description:
      - Seconds a fresh login has, after the commit, to confirm the run; 0 turns commit confirmed off.
      - Before committing, the host arms a transient systemd timer that rolls the run back from its dated
        copies unless the run is confirmed in time. The action plugin confirms it by opening a new
        connection as the same account and becoming root again (O(mode=confirm)). When that fails, the
        host reverts itself and the result says so (C(commit_confirmed.reverted)).
    type: int
    default: 0
  run_id:
    description: Identifier of this run; names its backup directory. Default is a UTC timestamp with a random suffix.
    type: str
  root:
    description: Prefix under which every file is read and written. Only tests use anything but C(/).
    type: path
    default: /
  host_kind:
    description:
      - What this host is, matched against each control's C(applies_to).
      - V(auto) detects a container (C(/run/.containerenv), C(/.dockerenv) or C(systemd-detect-virt --container))
        and otherwise assumes V(server).
    type: str
    choices: [server, virtual_pc, container, auto]
    default: auto
  exempt_accounts:
    description:
      - Accounts that inactivity locks, password ageing and faillock never touch (operator, break-glass).
    type: list
    elements: str
    default: []
  backup_dir:
    description: Where the dated copies of replaced files go, one directory per run.
    type: path
    default: /var/backups/landingzone
  waivers:
    description:
      - Waivers from the municipality card, handled by the action plugin on the controller. Each has C(control),
        C(hosts) (inventory host names, fnmatch patterns, inventory group names or V(all)), C(justification),
        C(approver), C(expires) (YYYY-MM-DD) and C(compensating_measure), all required.
      - A waiver for a control id that is not in O(known_controls) (or in O(controls)) is an error; one for a
        known control this host does not run has nothing to waive here.
      - One that matches this host is active up to and including its expiry date (the control is checked but not
        fixed, status C(waived)), and expired after it (the control is enforced again and the waiver is shown in
        its result). Active waivers ending within 30 days add a warning.
    type: list
    elements: dict
    default: []
  known_controls:
    description:
      - Every control id of the catalog, including those not selected for this host, so that a waiver for a
        switched-off control is not mistaken for a waiver of an unknown one. Handled by the action plugin.
    type: list
    elements: str
    default: []
  secret_params:
    description:
      - Secret params taken out of O(controls) by the action plugin, by control id (for example
        C(password_hash) of a C(local_account) control), so they are never logged.
    type: dict
    default: {}
  catalog:
    description:
      - A whole control catalog, a mapping of area name to a list of controls, its templates already rendered. The
        action plugin checks it once, on the controller, selects the controls of this host (O(level) in O(edition),
        minus O(disabled), with O(adjustments) folded in) and passes them on as O(controls). Instead of O(controls)
        and O(catalog_dir).
    type: dict
  catalog_dir:
    description:
      - The directory of a role's control catalog (every C(*.yml) file in it, each a mapping of area name to a list
        of controls), as the linux_baseline role passes it. The action plugin reads it on the controller, as
        P(cyberveilig.landingzone.control_catalog#lookup) does, selects and checks it as with O(catalog), and
        renders the Jinja templates of the selected controls only (their C(configured_when), then their C(params))
        with the task's variables, so that a template of a control this host does not run is never evaluated.
        Instead of O(controls) and O(catalog).
    type: path
  level:
    description: The CyFun level whose controls (and those of the levels below) run; with O(catalog) or O(catalog_dir).
    type: str
    choices: [basic, important, essential]
    default: important
  edition:
    description: The CyFun edition O(level) is a level of; with O(catalog) or O(catalog_dir).
    type: int
    choices: [2023, 2025]
    default: 2023
  disabled:
    description: Ids of catalog controls switched off for this host; each must be a control of the catalog.
    type: list
    elements: str
    default: []
  adjustments:
    description:
      - What other roles declare the baseline must allow (forwarding, inbound services, sysctls), as
        C(landingzone_baseline_adjustments); with O(catalog) or O(catalog_dir).
    type: list
    elements: dict
    default: []
  checked_on_controller:
    description:
      - Set by the action plugin once it has checked O(controls) on the controller; the module then runs them
        without checking them again. Called directly, the module checks them itself.
    type: bool
    default: false
requirements:
  - Debian 12 or 13 on the target, with its Python (3.11 or 3.13); the module code needs Python 3.11 or later
  - The tools the selected controls validate with or manage, where they apply; C(apt-get) and C(dpkg), C(nft)
    (nftables), C(sshd), C(visudo), C(rsyslogd), C(systemctl)
attributes:
  check_mode:
    description: Check mode is the audit; it stages the same fixes as apply and reports what apply would change.
    support: full
  diff_mode:
    description: Returns before/after for every file change; secret-bearing files by checksum only.
    support: full
  action:
    description: Has an action plugin that checks and selects the catalog and applies waivers on the controller.
    support: full
  platform:
    description: Target hosts the engine supports.
    platforms: debian
    support: full
notes:
  - Secret-bearing files (C(/etc/shadow), C(/etc/gshadow), private keys) appear in evidence and diffs by
    mode, owner and sha256 only.
  - In mode V(audit), C(results[].changed) says what apply would change while the top-level C(changed) stays false.
"""

EXAMPLES = r"""
- name: Audit the baseline
  cyberveilig.landingzone.linux_controls:
    controls: "{{ linux_baseline_controls }}"
    mode: audit
  register: baseline_audit

- name: Audit a role's whole catalog at one level, as the baseline role does
  cyberveilig.landingzone.linux_controls:
    catalog_dir: "{{ role_path }}/controls"
    level: essential
    edition: 2025
    disabled: [LZ-SSH-004]
    mode: audit

- name: Apply the baseline, keeping the operator and break-glass accounts out of lockouts
  cyberveilig.landingzone.linux_controls:
    controls: "{{ linux_baseline_controls }}"
    mode: apply
    exempt_accounts: [ansible, breakglass]
    waivers: "{{ municipality_waivers | default([]) }}"

- name: Undo one run
  cyberveilig.landingzone.linux_controls:
    mode: rollback
    rollback_run: 20250301T101500Z-3fa2c1
"""

RETURN = r"""
results:
  description: One record per control, in catalog order (for rollback, one per restored or removed file).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The control id.
      type: str
    level:
      description: The control's CyFun level in the edition it was selected in (C(cyfun_edition)).
      type: str
    cyfun_edition:
      description: The CyFun edition of C(level), 2023 or 2025.
      type: int
      returned: when the control names it
    cyfun:
      description: CyberFundamentals 2023 requirement ids of the control.
      type: list
      elements: str
    cyfun_2025:
      description: CyberFundamentals 2025 requirement ids of the control.
      type: list
      elements: str
      returned: when the control has them
    cis:
      description: CIS Debian Linux 12 recommendation ids of the control.
      type: list
      elements: str
      returned: when the control has them
    cis_debian13:
      description: CIS Debian Linux 13 recommendation ids of the control.
      type: list
      elements: str
      returned: when the control has them
    status:
      description: One of C(pass), C(fixed), C(fail), C(waived), C(not_applicable), C(error).
      type: str
    changed:
      description: Whether this run changed something for the control (check mode and audit, would change).
      type: bool
    reason:
      description: Why it is not_applicable, error or fail, in words.
      type: str
    evidence:
      description: C(found) and C(expected); metadata only for secret-bearing files.
      type: dict
    diff:
      description: C({path, before, after}) for each file change; no content for secret-bearing files.
      type: list
      elements: dict
    reboot_required:
      description: The change takes effect only after a reboot.
      type: bool
    waiver:
      description: The waiver that applied, with its C(state) (active or expired).
      type: dict
      returned: when a waiver matched this host
summary:
  description: Counts by status, and C(total).
  returned: always
  type: dict
  sample: {pass: 40, fixed: 3, fail: 0, waived: 1, not_applicable: 2, error: 0, total: 46}
changed:
  description: Whether anything changed on the host (in check mode, would change). Always false in audit mode.
  returned: always
  type: bool
reboot_required:
  description: Whether any change waits for a reboot.
  returned: always
  type: bool
backups:
  description: Files replaced this run, each with C(path) and its dated copy in C(backup).
  returned: always
  type: list
  elements: dict
run_id:
  description: The id of this run; pass it as O(rollback_run) to undo it.
  returned: always
  type: str
access:
  description:
    - C(kept), the accounts that must keep access and their ways in; C(held_back), by control id, why its fix
      would shut one of them out; C(warnings), by control id, the other accounts it newly shuts out; C(notes),
      ways in a keeper lacks that no control of this run caused.
  returned: in modes apply and audit
  type: dict
commit_confirmed:
  description:
    - The armed revert (C(unit), C(seconds)) once the module has committed; the action plugin adds C(confirmed),
      C(reverted) and, after a revert, C(revert) (what the host restored) and C(error) (why the fresh login failed).
  returned: when commit confirmed was armed
  type: dict
recovered:
  description:
    - Runs that died while committing (their manifest still said C(committing)) and what this apply did about them,
      before it staged anything. Each has C(run_id), C(outcome) (V(completed) when every file it planned already
      held its new content, so only its restarts were run; V(rolled back) otherwise), C(files), C(errors) and,
      after a roll-back, C(rollback_run).
  returned: in mode apply
  type: list
  elements: dict
rollback_record_error:
  description:
    - Why the rollback record (the run's manifest) could not be written, such as a full disk; empty when it was.
      Files it would have covered were not replaced, and the run fails.
  returned: in modes apply and audit
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import commit_confirmed, locks, recovery
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access import session
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.access.keepers import Access
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.engine import Engine
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.host import Host
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.rollback import RollbackError, rollback
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.schema import (
    ControlError,
    merge_secrets,
)

ARGUMENT_SPEC = {
    "controls": {"type": "list", "elements": "dict", "default": []},
    "mode": {"type": "str", "choices": ["apply", "audit", "rollback", "confirm"], "default": "audit"},
    "rollback_run": {"type": "str"},
    "confirm_run": {"type": "str"},
    "access": {
        "type": "dict",
        "options": {
            "operator_account": {"type": "str"},
            "operator_group": {"type": "str"},
            "breakglass_account": {"type": "str"},
            "connected_account": {"type": "str"},
            "transport": {"type": "str"},
            "become_method": {"type": "str"},
            "become_password": {"type": "bool", "default": False},
            "ssh_connection": {"type": "str"},
            "management_networks": {"type": "list", "elements": "str", "default": []},
            "ssh_port": {"type": "int", "default": 22},
        },
    },
    "commit_confirmed": {"type": "int", "default": 0},
    "run_id": {"type": "str"},
    "root": {"type": "path", "default": "/"},
    "host_kind": {"type": "str", "choices": ["server", "virtual_pc", "container", "auto"], "default": "auto"},
    "exempt_accounts": {"type": "list", "elements": "str", "default": []},
    "backup_dir": {"type": "path", "default": "/var/backups/landingzone"},
    # Consumed by the action plugin on the controller; accepted here so direct calls validate too.
    "waivers": {"type": "list", "elements": "dict", "default": []},
    "known_controls": {"type": "list", "elements": "str", "default": []},
    "secret_params": {"type": "dict", "default": {}, "no_log": True},
    "catalog": {"type": "dict"},
    "catalog_dir": {"type": "path"},
    "level": {"type": "str", "choices": ["basic", "important", "essential"], "default": "important"},
    "edition": {"type": "int", "choices": [2023, 2025], "default": 2023},
    "disabled": {"type": "list", "elements": "str", "default": []},
    "adjustments": {"type": "list", "elements": "dict", "default": []},
    # The action plugin's word that it checked the controls; direct calls leave it false.
    "checked_on_controller": {"type": "bool", "default": False},
}


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        required_if=[("mode", "rollback", ["rollback_run"]), ("mode", "confirm", ["confirm_run"])],
    )
    params = module.params
    host = Host(
        root=params["root"],
        check_mode=module.check_mode,
        host_kind=params["host_kind"],
        exempt_accounts=params["exempt_accounts"],
        backup_dir=params["backup_dir"],
        run_id=params["run_id"],
        confirm_seconds=max(params["commit_confirmed"], 0),
    )
    if params["access"]:
        told = session.parse((params["access"]["ssh_connection"] or "").split())
        host.access = Access.from_params(params["access"], told or session.current_session(host))
        host.exempt_accounts = list(dict.fromkeys([*host.exempt_accounts, *host.access.exempt()]))
    if params["mode"] == "confirm":
        if module.check_mode:
            module.exit_json(changed=False, msg="check mode confirms nothing")
        try:
            outcome = commit_confirmed.confirm(host, params["confirm_run"])
        except commit_confirmed.ConfirmError as exc:
            module.fail_json(msg=str(exc))
        module.exit_json(changed=outcome["confirmed"], **outcome)
    if params["mode"] == "rollback":
        try:
            if module.check_mode:
                records = rollback(host, params["rollback_run"])
            else:
                with locks.run_lock(host):
                    records = rollback(host, params["rollback_run"])
        except (RollbackError, locks.LockBusy) as exc:
            module.fail_json(msg=str(exc), results=[], run_id=host.run_id)
        errors = [r for r in records if r["status"] == "error"]
        module.exit_json(
            failed=bool(errors),
            msg=f"{len(errors)} file(s) could not be restored" if errors else "rollback done",
            changed=any(r["changed"] for r in records),
            results=records,
            run_id=host.run_id,
            backups=host.tx.backups,
        )
    controls = merge_secrets(params["controls"], params["secret_params"])
    for value in (params["secret_params"] or {}).values():
        module.no_log_values.update(str(v) for v in value.values() if v)
    try:
        report = Engine(host).run(controls, params["mode"], checked=params["checked_on_controller"])
    except (ControlError, locks.LockBusy) as exc:
        module.fail_json(msg=str(exc), results=[], run_id=host.run_id)
    errors = report["summary"]["error"]
    report["msg"] = f"{errors} control(s) ended in error" if errors else "all controls processed"
    if report["rollback_record_error"]:
        report["msg"] += f"; the rollback record could not be written ({report['rollback_record_error']})"
    for outcome in report["recovered"]:
        module.warn(recovery.describe(outcome))
    for control_id, whys in report["access"]["held_back"].items():
        module.warn(f"{control_id} held back: it would shut out {'; '.join(whys)}")
    for control_id, accounts in report["access"]["warnings"].items():
        for text in accounts:
            module.warn(f"{control_id}: {text}")
    for note in report["access"]["notes"]:
        module.warn(note)
    if not module._diff:
        report.pop("diff")
    module.exit_json(**report)


if __name__ == "__main__":
    main()
