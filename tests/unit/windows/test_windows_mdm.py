"""Settings an MDM (Intune) manages: the script reads PolicyManager\\current\\device for the policy a
control names (its catalog field mdm: <Area>/<Policy>), reports the policy as the source, and
leaves the setting to the MDM, as it does for a domain group policy object. Otherwise a local fix
is overwritten at the next sync and the control is 'fixed' on every run.

The host's answers here are written by hand or come from the mock host (no Windows here); the
PowerShell that produces them is held to the runner text and parsed by the grammar gate.
"""

from __future__ import annotations

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows import catalog as windows_catalog
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.script import SCRIPTS, render_control
from windows_host_mock import FakeWindowsHost, run_action
from windows_testdata import engine_args, raw_catalog, rendered_catalog

MDM_SOURCE = "MDM policy 'UserRights/DenyAccessFromNetwork' (provider 6A5D1B02-7E4C-4E7A-9E0B-2F3C4D5E6F70)"
OWNED = {
    "LZW-URA-012": {
        "state": "noncompliant",
        "found": ["S-1-5-21-1004336348-1177238915-682003330-501"],
        "fixable": False,
        "source": MDM_SOURCE,
        "reason": f"set to [...] by {MDM_SOURCE}; a local change would be undone at the next MDM sync",
    }
}
# The Policy CSP's name of each user right (UserRights area).
USER_RIGHTS_CSP = {
    "SeTrustedCredManAccessPrivilege": "AccessCredentialManagerAsTrustedCaller",
    "SeTcbPrivilege": "ActAsPartOfTheOperatingSystem",
    "SeBackupPrivilege": "BackupFilesAndDirectories",
    "SeSystemtimePrivilege": "ChangeSystemTime",
    "SeTimeZonePrivilege": "ChangeTimeZone",
    "SeCreatePagefilePrivilege": "CreatePageFile",
    "SeCreateTokenPrivilege": "CreateToken",
    "SeCreateGlobalPrivilege": "CreateGlobalObjects",
    "SeCreatePermanentPrivilege": "CreatePermanentSharedObjects",
    "SeCreateSymbolicLinkPrivilege": "CreateSymbolicLinks",
    "SeDebugPrivilege": "DebugPrograms",
    "SeDenyNetworkLogonRight": "DenyAccessFromNetwork",
    "SeDenyBatchLogonRight": "DenyLogOnAsBatchJob",
    "SeDenyServiceLogonRight": "DenyLogOnAsService",
    "SeDenyInteractiveLogonRight": "DenyLocalLogOn",
    "SeDenyRemoteInteractiveLogonRight": "DenyRemoteDesktopServicesLogOn",
    "SeEnableDelegationPrivilege": "EnableDelegation",
    "SeRemoteShutdownPrivilege": "RemoteShutdown",
    "SeAuditPrivilege": "GenerateSecurityAudits",
    "SeImpersonatePrivilege": "ImpersonateClient",
    "SeIncreaseBasePriorityPrivilege": "IncreaseSchedulingPriority",
    "SeLoadDriverPrivilege": "LoadUnloadDeviceDrivers",
    "SeLockMemoryPrivilege": "LockMemory",
    "SeSecurityPrivilege": "ManageAuditingAndSecurityLog",
    "SeRelabelPrivilege": "ModifyObjectLabel",
    "SeSystemEnvironmentPrivilege": "ModifyFirmwareEnvironment",
    "SeManageVolumePrivilege": "ManageVolume",
    "SeProfileSingleProcessPrivilege": "ProfileSingleProcess",
    "SeRestorePrivilege": "RestoreFilesAndDirectories",
    "SeTakeOwnershipPrivilege": "TakeOwnership",
}


def test_an_mdm_owned_setting_is_reported_with_its_policy_and_never_changed_run_after_run():
    host = FakeWindowsHost(OWNED)
    for _ in range(2):
        result, _ = run_action(engine_args(), host)
        record = next(r for r in result["results"] if r["id"] == "LZW-URA-012")
        assert record["status"] == "fail" and record["changed"] is False
        assert record["evidence"]["source"] == MDM_SOURCE and "next MDM sync" in record["reason"]
        assert result["changed"] is False


def test_the_check_is_told_which_mdm_policy_owns_the_setting():
    plan = prepare(engine_args(), "gem-vpc-01", applying=True).plan
    control = next(control for control, _ in plan if control["id"] == "LZW-URA-012")
    rendered = render_control(control, fixing=True)
    assert (
        rendered.splitlines()[1]
        == "Invoke-LzwControl -Id 'LZW-URA-012' -Mdm 'UserRights/DenyAccessFromNetwork' -Check {"
    )


@pytest.mark.parametrize("runner", ["apply_runner.ps1", "audit_runner.ps1"])
def test_both_runners_ask_the_mdm_before_deciding_to_fix(runner):
    text = (SCRIPTS / runner).read_text(encoding="utf-8")
    owner = text.index("$finding = Add-LzwMdmOwner -Finding $finding -Policy $Mdm")
    assert owner < text.index("foreach ($key in $finding.Keys)")
    if "$Fix" in text:
        assert owner < text.index("if ($null -ne $Fix")


def test_the_owner_is_read_from_policy_manager_current_device():
    common = (SCRIPTS / "common.ps1").read_text(encoding="utf-8")
    body = common.split("function Get-LzwMdmOwner {", 1)[1].split("\n}\n", 1)[0]
    assert "'HKLM:\\SOFTWARE\\Microsoft\\PolicyManager\\current\\device\\' + $area" in body
    assert "($name + '_WinningProvider')" in body


def test_every_user_right_names_its_policy_csp_setting():
    rights = [c for c in raw_catalog()["user_rights"] if c["params"]["section"] == "Privilege Rights"]
    assert rights
    for control in rights:
        assert control["mdm"] == "UserRights/" + USER_RIGHTS_CSP[control["params"]["key"]], control["id"]


def test_an_mdm_name_that_is_not_area_slash_policy_is_named():
    catalog = rendered_catalog()
    catalog["rdp"][0]["mdm"] = "./Device/Vendor/MSFT/Policy/Config/RemoteDesktopServices/X"
    with pytest.raises(windows_catalog.CatalogError, match=r"LZW-RDP-001: mdm: must be a Policy CSP <Area>/<Policy>"):
        windows_catalog.flatten(catalog)
