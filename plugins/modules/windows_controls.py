#!/usr/bin/python
# Copyright: cyberveilig.landingzone maintainers
# License: EUPL-1.2

# This module is implemented entirely by the action plugin of the same name
# (plugins/action/windows_controls.py), which runs on the controller and executes
# ansible.windows.win_powershell once. This file holds its documentation only.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: windows_controls
short_description: Apply or audit the whole Windows control catalog in one WinRM round trip
description:
  - Checks the Windows control catalog (see docs/windows.md), the switches and the waivers on the controller,
    renders the selected controls into ONE PowerShell script, and runs it with one execution of
    M(ansible.windows.win_powershell). The script prints one result line per control; they are parsed into the
    result schema of M(cyberveilig.landingzone.linux_controls).
  - Each control is checked, fixed when it fails and may be fixed, and checked again, so a C(fixed) result shows the
    state after the fix. One control that errors does not stop the others.
  - Check mode and O(mode=audit) render an audit script that contains no fix code at all.
  - Where a domain group policy object sets a value, the check reads the effective value, the evidence names the
    policy object (from RSoP), and the control is not fixed locally (the next policy refresh would undo it).
  - The management path has no switch. The HTTPS WinRM listener, the firewall rule for WinRM from
    O(management_networks), and Remote Desktop from O(management_networks) and O(rdp_networks) are always rendered,
    first, with params built from these options; disabling or waiving them is an error before the host is touched.
  - A control that would cut the connection the run uses (for example removing the HTTP listener while the run
    comes in over HTTP, or refusing Basic authentication while it logs in with Basic) is rendered audit only and
    its result says why.
version_added: 0.1.0
author:
  - cyberveilig.landingzone maintainers (!UNKNOWN)
options:
  catalog:
    description:
      - The catalog as C(include_vars) loads roles/windows_baseline/controls/, a mapping of area to a list of controls.
        Each control has C(id) (C(LZW-<AREA>-<NNN>)), C(title), C(rationale), C(level) and C(level_2025) (its
        CyFun 2023 and 2025 levels), C(cyfun) and C(cyfun_2025), C(cis), C(applies_to), C(risk), C(type),
        C(params), and optionally C(ms_baseline), C(configured_when), C(breaks_transport) and C(management_path).
      - Every CyFun and CIS id must be in its list in references/ (the ids that exist); one that is not is an error.
    type: dict
    required: true
  level:
    description: CyberFundamentals level; the controls of this level and the levels below it run.
    type: str
    choices: [basic, important, essential]
    default: important
  edition:
    description: The CyFun edition O(level) belongs to; each control is selected by its level in that edition.
    type: int
    choices: [2023, 2025]
    default: 2023
  mode:
    description: V(apply) fixes what fails (check mode makes it an audit); V(audit) never changes anything.
    type: str
    choices: [apply, audit]
    default: apply
  host_kind:
    description: What this host is, matched against each control's C(applies_to).
    type: str
    choices: [virtual_pc, server]
    default: virtual_pc
  disabled:
    description: Control ids switched off. An unknown id, or one of the management path, is an error.
    type: list
    elements: str
    default: []
  waivers:
    description:
      - Waivers from the municipality card, matched and expired as for M(cyberveilig.landingzone.linux_controls).
      - Only waivers of Windows controls (ids starting with C(LZW-)) are taken; an unknown C(LZW-) id is an error.
        A waiver for a management path control is an error.
    type: list
    elements: dict
    default: []
  management_networks:
    description: CIDRs from which WinRM over HTTPS and Remote Desktop are allowed. At least one.
    type: list
    elements: str
    required: true
  rdp_networks:
    description: Further CIDRs allowed to reach Remote Desktop (for example Azure Virtual Desktop subnets).
    type: list
    elements: str
    default: []
  winrm_port:
    description: Port of the WinRM HTTPS listener.
    type: int
    default: 5986
  rdp_port:
    description: Port of Remote Desktop.
    type: int
    default: 3389
  winrm_certificate_thumbprint:
    description: Thumbprint of the certificate the HTTPS listener must use; empty for any valid one naming the host.
    type: str
    default: ""
  identity:
    description:
      - Where the host's accounts live, V(entra) (Microsoft Entra joined), V(ad) (Active Directory) or V(hybrid).
      - A user right that denies logon to local accounts (S-1-5-113, S-1-5-114) runs only with V(ad) and a domain
        O(management_account), and is held back when this run itself logs in with a local account; otherwise it is
        C(not_applicable) with the reason. A user right that denies logon to Administrators, Users, Remote Desktop
        Users, Remote Management Users, Everyone, Authenticated Users, NETWORK or REMOTE INTERACTIVE LOGON, or an
        exact grant of a logon right without Administrators, is an error before the host is touched.
    type: str
    choices: [entra, ad, hybrid]
    default: entra
  management_account:
    description: The account operators and automation log on with (V(DOMAIN\\name), V(name@domain) or a local one).
    type: str
    default: ""
requirements:
  - On the controller, pywinrm (the Python library of the WinRM connection) and the collection ansible.windows
  - On the target, a Windows 11 virtual PC reached over WinRM
attributes:
  check_mode:
    description: Check mode runs the audit script, which contains no fix code, and reports what apply would change.
    support: full
  diff_mode:
    description: Results carry found and expected values per control; there is no file diff on Windows.
    support: none
  action:
    description: Implemented by an action plugin that renders the script and runs ansible.windows.win_powershell once.
    support: full
  platform:
    description: Target hosts the engine supports.
    platforms: windows
    support: full
notes:
  - No Windows host or PowerShell runtime exists where this collection is tested; the renderers and the parser are
    tested with golden scripts and recorded results, and a live test runs where a Windows host is configured.
  - In mode V(audit), C(results[].changed) says what apply would change while the top-level C(changed) stays false.
seealso:
  - module: cyberveilig.landingzone.linux_controls
  - module: ansible.windows.win_powershell
"""

EXAMPLES = r"""
- name: Load the catalog
  ansible.builtin.include_vars:
    dir: "{{ role_path }}/controls"
    name: windows_baseline_catalog

- name: Audit the Windows baseline
  cyberveilig.landingzone.windows_controls:
    catalog: "{{ windows_baseline_catalog }}"
    level: important
    mode: audit
    management_networks: [10.231.10.0/24]
  register: windows_audit

- name: Apply it, with the AVD subnet allowed to reach Remote Desktop
  cyberveilig.landingzone.windows_controls:
    catalog: "{{ windows_baseline_catalog }}"
    level: essential
    edition: 2025
    management_networks: [10.231.10.0/24]
    rdp_networks: [10.40.0.0/22]
    waivers: "{{ windows_baseline_waivers }}"
"""

RETURN = r"""
results:
  description: One record per control, management path first, then catalog order, then the not applicable ones.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The control id.
      type: str
    level:
      description: The control's CyFun level in the edition O(edition).
      type: str
    cyfun_edition:
      description: The CyFun edition of C(level), 2023 or 2025.
      type: int
    cyfun:
      description: CyberFundamentals 2023 requirement ids of the control.
      type: list
      elements: str
    cyfun_2025:
      description: CyberFundamentals 2025 requirement ids of the control.
      type: list
      elements: str
    cis:
      description: CIS Microsoft Windows 11 Enterprise recommendation ids of the control.
      type: list
      elements: str
      returned: when the control has them
    status:
      description: One of C(pass), C(fixed), C(fail), C(waived), C(not_applicable), C(error).
      type: str
    changed:
      description: Whether this run changed something for the control (audit and check mode, would change).
      type: bool
    reason:
      description: Why it is not_applicable, error or fail, in words.
      type: str
    evidence:
      description: C(found), C(expected) and C(source), where the effective value comes from (a named group policy
        object, local policy, the firewall active store ...).
      type: dict
    reboot_required:
      description: The change takes effect only after a restart.
      type: bool
    waiver:
      description: The waiver that applied, with its C(state) (active or expired).
      type: dict
      returned: when a waiver matched this host
summary:
  description: Counts by status, and C(total).
  returned: always
  type: dict
  sample: {pass: 250, fixed: 12, fail: 3, waived: 1, not_applicable: 4, error: 0, total: 270}
changed:
  description: Whether anything changed on the host (in check mode, would change). Always false in audit mode.
  returned: always
  type: bool
reboot_required:
  description: Whether any change waits for a restart.
  returned: always
  type: bool
engine:
  description: How the run went, C(runner), C(module_executions) (always 1), C(mode), C(script_sha256), C(script_bytes)
    and the first part of C(host_errors).
  returned: always
  type: dict
"""
