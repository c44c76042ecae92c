"""The Windows control types: one module each, with PARAMS, AUDIT_ONLY, expected(params),
check(params) and fix(params) (None for an audit-only type), and optionally validate()."""

from __future__ import annotations

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.types import (
    asr_rule,
    audit_policy,
    bitlocker_status,
    credential_guard,
    defender_preference,
    firewall_builtin_rules,
    firewall_profile,
    firewall_rule,
    laps_policy,
    local_group_members,
    optional_feature,
    rdp_access,
    registry_value,
    security_policy,
    service,
    winrm_http_listener,
    winrm_listener,
)

TYPES = {
    "registry_value": registry_value,
    "security_policy": security_policy,
    "audit_policy": audit_policy,
    "service": service,
    "optional_feature": optional_feature,
    "firewall_profile": firewall_profile,
    "firewall_rule": firewall_rule,
    "firewall_builtin_rules": firewall_builtin_rules,
    "defender_preference": defender_preference,
    "asr_rule": asr_rule,
    "bitlocker_status": bitlocker_status,
    "laps_policy": laps_policy,
    "credential_guard": credential_guard,
    "local_group_members": local_group_members,
    "winrm_listener": winrm_listener,
    "winrm_http_listener": winrm_http_listener,
    "rdp_access": rdp_access,
}
