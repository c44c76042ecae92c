"""Property: whatever a user sets, no rendered script closes the management path.

For every level, host kind, mode (apply, audit, check mode), connection, and many random
combinations of the switches a user can set (networks, ports, certificate, removable storage,
Credential Guard, data classification, switched-off controls, waivers), the script renders
the three management controls first, opens them to exactly the configured networks, and
contains nothing that removes the HTTPS listener, stops or disables WinRM or Remote Desktop,
denies RDP, or makes the firewall ignore local rules. Attempts to switch the management path
off fail before anything is rendered, naming the variable.

This is proven on the rendered text; that PowerShell then does what the text says is proven
only by tests/live on a real host.
"""

from __future__ import annotations

import ipaddress
import re

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.management import ManagementError
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
    re.compile(r"'(SeDenyNetworkLogonRight|SeDenyRemoteInteractiveLogonRight)'[^\n]*S-1-5-(32-544|113|114)"),
]

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
CATALOGS = {
    (classification, storage, guard): rendered_catalog(
        data_classification=classification,
        windows_baseline_removable_storage=storage,
        windows_baseline_credential_guard=guard,
    )
    for classification in (1, 4)
    for storage in ("auto", "deny", "allow")
    for guard in (True, False)
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    level=st.sampled_from(["basic", "important", "essential"]),
    host_kind=st.sampled_from(["virtual_pc", "server"]),
    mode=st.sampled_from(["apply", "audit"]),
    check_mode=st.booleans(),
    catalog_key=st.sampled_from(sorted(CATALOGS)),
    management=st.lists(networks, min_size=1, max_size=3),
    rdp=st.lists(networks, max_size=3),
    winrm_port=st.integers(min_value=1, max_value=65535),
    rdp_port=st.integers(min_value=1, max_value=65535),
    thumbprint=st.sampled_from(["", "A" * 40, "0123456789abcdef0123456789abcdef01234567"]),
    disabled=st.lists(st.sampled_from(SWITCHABLE), max_size=40, unique=True),
    waivers=st.lists(waiver, max_size=10),
    transport=st.sets(st.sampled_from(TRANSPORT_TRAITS)),
)
def test_no_rendered_script_closes_the_management_path(
    level, host_kind, mode, check_mode, catalog_key, management, rdp, winrm_port, rdp_port, thumbprint, disabled,
    waivers, transport,
):  # fmt: skip
    applying = mode == "apply" and not check_mode
    args = engine_args(
        catalog=CATALOGS[catalog_key], level=level, host_kind=host_kind, mode=mode, management_networks=management,
        rdp_networks=rdp, winrm_port=winrm_port, rdp_port=rdp_port, winrm_certificate_thumbprint=thumbprint,
        disabled=disabled, waivers=waivers,
    )  # fmt: skip
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


@settings(max_examples=100, deadline=None)
@given(management_id=st.sampled_from(MANAGEMENT_IDS), others=st.lists(st.sampled_from(SWITCHABLE), max_size=5))
def test_switching_a_management_control_off_is_refused_naming_the_variable(management_id, others):
    with pytest.raises(ManagementError, match=f"windows_baseline_disabled_controls: {management_id}"):
        prepare(engine_args(catalog=CATALOGS[(1, "auto", True)], disabled=[*others, management_id]), "h")


@settings(max_examples=50, deadline=None)
@given(management_id=st.sampled_from(MANAGEMENT_IDS), expires=st.sampled_from(["2020-01-01", "2099-12-31"]))
def test_waiving_a_management_control_is_refused_naming_the_variable(management_id, expires):
    waiver_record = {
        "control": management_id, "hosts": "all", "justification": "x", "approver": "y", "expires": expires,
        "compensating_measure": "z",
    }  # fmt: skip
    with pytest.raises(ManagementError, match=f"windows_baseline_waivers: {management_id}"):
        prepare(engine_args(catalog=CATALOGS[(1, "auto", True)], waivers=[waiver_record]), "h")


def test_an_empty_management_network_list_is_refused_naming_the_variable():
    with pytest.raises(ManagementError, match="windows_baseline_management_networks"):
        prepare(engine_args(catalog=CATALOGS[(1, "auto", True)], management_networks=[]), "h")


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
