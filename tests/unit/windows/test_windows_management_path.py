"""Property: whatever a user sets, no rendered script closes the management path.

For every level, host kind, mode (apply, audit, check mode), connection, and many random
combinations of the switches a user can set (networks, ports, certificate, removable storage,
Credential Guard, data classification, identity, management account, session host,
switched-off controls, waivers, and user rights added to the catalog), the script renders
the three management controls first, opens them to exactly the configured networks, and
contains nothing that removes the HTTPS listener, stops or disables WinRM or Remote Desktop,
denies RDP, or makes the firewall ignore local rules. No user right it writes denies logon to
the groups the management path logs on through, or grants a logon right without
Administrators; local accounts are denied only with identity ad, a domain management account,
and a run that does not log in locally. Attempts to switch the management path off fail
before anything is rendered, naming the variable.

This is proven on the rendered text; that PowerShell then does what the text says is proven
only by tests/live on a real host.
"""

from __future__ import annotations

import functools
import ipaddress
import re

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.management import (
    ADMINISTRATORS,
    DENY_LOGON,
    GRANT_LOGON,
    LOCAL_ACCOUNTS,
    NEVER_DENIED,
    ManagementError,
    domain_account,
)
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.schema import TRANSPORT_TRAITS
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.script import render_script
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from windows_testdata import engine_args, raw_catalog, rendered_catalog

ALL_IDS = [c["id"] for controls in raw_catalog().values() for c in controls]
MANAGEMENT_IDS = [c["id"] for controls in raw_catalog().values() for c in controls if c.get("management_path")]
SWITCHABLE = [cid for cid in ALL_IDS if cid not in MANAGEMENT_IDS]

# Statements that would close the way in, in any form the renderers could produce.
CLOSING = [
    re.compile(r"Remove-WSManInstance[^\n]*Transport = 'HTTPS'"),
    re.compile(r"(Stop-Service|Set-Service)[^\n]*-Name '?(WinRM|TermService)'?[^\n]*(Disabled|Stop)"),
    re.compile(r"Stop-Service[^\n]*-Name '?(WinRM|TermService)"),
    re.compile(r"Disable-PSRemoting|Disable-WSManCredSSP|winrm (delete|set)"),
    re.compile(r"'fDenyTSConnections' -Value 1"),
    re.compile(r"'(AllowRemoteShellAccess|AllowAutoConfig)'"),
    re.compile(r"-AllowLocalFirewallRules"),
    re.compile(r"(Disable|Remove)-NetFirewallRule[^\n]*LZW-"),
    re.compile(r"Disable-LzwBuiltinRules -Names @\([^)]*LZW-"),
]
# How the fixes write user rights: adding holders, or setting the whole list.
ADDED_RIGHT = re.compile(r"Add-LzwUserRight -Key '(\w+)' -Sids @\(([^)]*)\)")
SET_RIGHT = re.compile(r"Set-LzwSecurityPolicy -Section 'Privilege Rights' -Key '(\w+)' -Value '([^']*)'")
SIDS_IN_CATALOG_EDITS = sorted({*NEVER_DENIED, *LOCAL_ACCOUNTS, "S-1-5-32-546", "S-1-5-32-551", "S-1-5-19"})
ACCOUNTS = ["", ".\\beheer", "GEMEENTE\\svc-landingzone", "svc-landingzone@gemeente.be", "GEM-VPC-01\\beheer"]

networks = st.builds(
    lambda address, prefix: str(ipaddress.ip_network(f"{ipaddress.IPv4Address(address)}/{prefix}", strict=False)),
    st.integers(min_value=0x0A000000, max_value=0x0AFFFFFF),
    st.integers(min_value=8, max_value=32),
)
waiver = st.builds(
    lambda control, expires: {
        "control": control,
        "hosts": "all",
        "justification": "tested",
        "approver": "ciso@gemeente.example",
        "expires": expires,
        "compensating_measure": "none needed in a test",
    },
    st.sampled_from(SWITCHABLE),
    st.sampled_from(["2020-01-01", "2099-12-31"]),
)
CATALOG_KEYS = [
    (classification, storage, guard, identity, session_host)
    for classification in (1, 4)
    for storage in ("auto", "deny", "allow")
    for guard in (True, False)
    for identity in ("entra", "ad", "hybrid")
    for session_host in (False, True)
]


@functools.cache
def _catalog(key):
    classification, storage, guard, identity, session_host = key
    return rendered_catalog(
        data_classification=classification,
        windows_baseline_removable_storage=storage,
        windows_baseline_credential_guard=guard,
        windows_baseline_identity=identity,
        windows_baseline_session_host=session_host,
    )


def catalog_with(key, extra_rights=()):
    """A fresh copy of the rendered catalog, with user-right controls a catalog edit could add."""
    catalog = {area: [dict(control) for control in controls] for area, controls in _catalog(key).items()}
    template = catalog["user_rights"][0]
    for index, (right, sids, compare) in enumerate(extra_rights):
        catalog["user_rights"].append(
            dict(template, id=f"LZW-URA-{900 + index}", mdm="UserRights/X",
                 params={"section": "Privilege Rights", "key": right, "value": sids, "compare": compare})
        )  # fmt: skip
    return catalog


added_right = st.tuples(
    st.sampled_from([*DENY_LOGON, *GRANT_LOGON, "SeBackupPrivilege"]),
    st.lists(st.sampled_from(SIDS_IN_CATALOG_EDITS), max_size=3, unique=True),
    st.sampled_from(["includes", "sids"]),
)


def written_rights(script):
    """(right, [SIDs]) of every user right a fix in the script writes."""
    for right, sids in ADDED_RIGHT.findall(script):
        yield right, re.findall(r"'([^']+)'", sids)
    for right, value in SET_RIGHT.findall(script):
        yield right, [entry.lstrip("*") for entry in value.split(",") if entry]


def forbidden_edit(right, sids, compare):
    """What the engine refuses outright, whatever the identity."""
    if right in DENY_LOGON and set(sids) & set(NEVER_DENIED):
        return True
    return right in GRANT_LOGON and compare == "sids" and ADMINISTRATORS not in sids


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    level=st.sampled_from(["basic", "important", "essential"]),
    host_kind=st.sampled_from(["virtual_pc", "server"]),
    mode=st.sampled_from(["apply", "audit"]),
    check_mode=st.booleans(),
    catalog_key=st.sampled_from(CATALOG_KEYS),
    management=st.lists(networks, min_size=1, max_size=3),
    rdp=st.lists(networks, max_size=3),
    winrm_port=st.integers(min_value=1, max_value=65535),
    rdp_port=st.integers(min_value=1, max_value=65535),
    thumbprint=st.sampled_from(["", "A" * 40, "0123456789abcdef0123456789abcdef01234567"]),
    disabled=st.lists(st.sampled_from(SWITCHABLE), max_size=40, unique=True),
    waivers=st.lists(waiver, max_size=10),
    transport=st.sets(st.sampled_from(TRANSPORT_TRAITS)),
    account=st.sampled_from(ACCOUNTS),
    extra_rights=st.lists(added_right, max_size=3),
)
def test_no_rendered_script_closes_the_management_path(
    level, host_kind, mode, check_mode, catalog_key, management, rdp, winrm_port, rdp_port, thumbprint, disabled,
    waivers, transport, account, extra_rights,
):  # fmt: skip
    applying = mode == "apply" and not check_mode
    identity = catalog_key[3]
    args = engine_args(
        catalog=catalog_with(catalog_key, extra_rights), level=level, host_kind=host_kind, mode=mode,
        management_networks=management, rdp_networks=rdp, winrm_port=winrm_port, rdp_port=rdp_port,
        winrm_certificate_thumbprint=thumbprint, disabled=disabled, waivers=waivers, identity=identity,
        management_account=account,
    )  # fmt: skip
    if any(forbidden_edit(*edit) for edit in extra_rights):
        with pytest.raises(ManagementError, match=r"control LZW-URA-9\d\d: params\.value: "):
            prepare(args, "gem-vpc-01", traits=transport, applying=applying)
        return
    plan = prepare(args, "gem-vpc-01", traits=transport, applying=applying).plan
    script = render_script(plan, applying)

    ids = re.findall(r"^Invoke-LzwControl -Id '(LZW-[A-Z]+-\d{3})'", script, re.M)
    assert ids[:3] == ["LZW-MGT-001", "LZW-MGT-002", "LZW-MGT-003"]
    management_blocks = script.split("# LZW-MGT-001", 1)[1].split("\n# LZW-", 4)[:3]
    if applying:
        assert all("} -Fix {" in block for block in management_blocks)
    wanted = sorted(str(ipaddress.ip_network(n, strict=False)) for n in management)
    assert f"-Port '{winrm_port}' -Remote @({', '.join(repr(n) for n in wanted)})" in script
    assert f"Test-LzwRdpControl -Port {rdp_port} -Remote @(" in script
    for pattern in CLOSING:
        assert not pattern.search(script), pattern.pattern
    first_profile_fix = script.find("Set-NetFirewallProfile -Name")
    assert first_profile_fix == -1 or first_profile_fix > script.find("Set-LzwRdpAccess -Port")

    local_accounts_may_be_denied = (
        identity == "ad" and domain_account(account, "gem-vpc-01") and "local_account" not in transport
    )
    for right, sids in written_rights(script):
        if right in DENY_LOGON:
            assert not set(sids) & set(NEVER_DENIED), (right, sids)
            assert local_accounts_may_be_denied or not set(sids) & LOCAL_ACCOUNTS, (right, sids, identity, account)
    for right, value in SET_RIGHT.findall(script):
        if right in GRANT_LOGON:
            assert "*" + ADMINISTRATORS in value.split(","), (right, value)


@settings(max_examples=100, deadline=None)
@given(management_id=st.sampled_from(MANAGEMENT_IDS), others=st.lists(st.sampled_from(SWITCHABLE), max_size=5))
def test_switching_a_management_control_off_is_refused_naming_the_variable(management_id, others):
    with pytest.raises(ManagementError, match=f"windows_baseline_disabled_controls: {management_id}"):
        prepare(
            engine_args(catalog=_catalog((1, "auto", True, "entra", False)), disabled=[*others, management_id]), "h"
        )


@settings(max_examples=50, deadline=None)
@given(management_id=st.sampled_from(MANAGEMENT_IDS), expires=st.sampled_from(["2020-01-01", "2099-12-31"]))
def test_waiving_a_management_control_is_refused_naming_the_variable(management_id, expires):
    waiver_record = {
        "control": management_id, "hosts": "all", "justification": "x", "approver": "y", "expires": expires,
        "compensating_measure": "z",
    }  # fmt: skip
    with pytest.raises(ManagementError, match=f"windows_baseline_waivers: {management_id}"):
        prepare(engine_args(catalog=_catalog((1, "auto", True, "entra", False)), waivers=[waiver_record]), "h")


def test_an_empty_management_network_list_is_refused_naming_the_variable():
    with pytest.raises(ManagementError, match="windows_baseline_management_networks"):
        prepare(engine_args(catalog=_catalog((1, "auto", True, "entra", False)), management_networks=[]), "h")


def test_the_closing_patterns_do_catch_closing_statements():
    samples = [
        "Remove-WSManInstance -ResourceURI 'winrm/config/listener' -SelectorSet @{ Transport = 'HTTPS' }",
        "Set-Service -Name 'WinRM' -StartupType Disabled",
        "Stop-Service -Name TermService -Force",
        "Set-LzwRegistry -Path 'X' -Name 'fDenyTSConnections' -Value 1 -Kind 'DWord'",
        "Set-NetFirewallProfile -Name 'Public' -AllowLocalFirewallRules 'False'",
        "Disable-LzwBuiltinRules -Names @('LZW-WinRM-HTTPS-In')",
    ]
    for sample in samples:
        assert any(pattern.search(sample) for pattern in CLOSING), sample


def test_the_user_right_reader_sees_both_ways_a_fix_writes_a_right():
    script = (
        "    Add-LzwUserRight -Key 'SeDenyNetworkLogonRight' -Sids @('S-1-5-113', 'S-1-5-32-546')\n"
        "    Set-LzwSecurityPolicy -Section 'Privilege Rights' -Key 'SeNetworkLogonRight' -Value '*S-1-5-32-545'\n"
    )
    assert list(written_rights(script)) == [
        ("SeDenyNetworkLogonRight", ["S-1-5-113", "S-1-5-32-546"]),
        ("SeNetworkLogonRight", ["S-1-5-32-545"]),
    ]
    assert forbidden_edit("SeNetworkLogonRight", ["S-1-5-32-545"], "sids")
    assert forbidden_edit("SeDenyRemoteInteractiveLogonRight", ["S-1-5-14"], "includes")
    assert not forbidden_edit("SeDenyNetworkLogonRight", ["S-1-5-113"], "includes")


def test_with_ad_and_a_domain_account_the_script_does_deny_local_accounts():
    """So the property above is not true only because the denial is never rendered."""
    args = engine_args(
        catalog=_catalog((1, "auto", True, "ad", False)), level="essential", identity="ad",
        management_account="GEMEENTE\\svc-landingzone",
    )  # fmt: skip
    script = render_script(prepare(args, "gem-vpc-01", traits=set(), applying=True).plan, True)
    denied = dict(written_rights(script))
    assert "S-1-5-113" in denied["SeDenyNetworkLogonRight"]
    assert "S-1-5-113" in denied["SeDenyRemoteInteractiveLogonRight"]
