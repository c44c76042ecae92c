"""One handler module per control type; each has check(params, ctx) and fix(params, ctx, finding).

Imported explicitly (not by name at run time) so Ansible packs every handler with the module.
"""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers import (
    account_policy,
    aide_database,
    audit_rule,
    config_key,
    file_content,
    file_permission,
    kernel_cmdline,
    kernel_module,
    local_account,
    login_group,
    mount_option,
    nftables_ruleset,
    package,
    pam_profile,
    service,
    sshd_option,
    sudo_default,
    sudo_group,
    sudo_rule,
    sysctl,
)

HANDLERS = {
    "account_policy": account_policy,
    "aide_database": aide_database,
    "audit_rule": audit_rule,
    "config_key": config_key,
    "file_content": file_content,
    "file_permission": file_permission,
    "kernel_cmdline": kernel_cmdline,
    "kernel_module": kernel_module,
    "local_account": local_account,
    "login_group": login_group,
    "mount_option": mount_option,
    "nftables_ruleset": nftables_ruleset,
    "package": package,
    "pam_profile": pam_profile,
    "service": service,
    "sshd_option": sshd_option,
    "sudo_default": sudo_default,
    "sudo_group": sudo_group,
    "sudo_rule": sudo_rule,
    "sysctl": sysctl,
}
