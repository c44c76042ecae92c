"""The host's identity (entra, ad, hybrid; from the card per group or municipality, else
windows_baseline_identity) chooses LAPS's directory and the settings Remote Desktop and FSLogix
need, and whether local accounts may be denied logon. All controller side: the catalog rendered
as the role renders it, and the engine's selection."""

from __future__ import annotations

import itertools

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.action.windows_controls import prepare
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows import catalog as windows_catalog
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._windows.management import (
    ManagementError,
    domain_account,
)
from windows_testdata import engine_args, rendered_catalog, role_context

DOMAIN_ACCOUNT = "GEMEENTE\\svc-landingzone"


def selected(level="essential", **context):
    controls = windows_catalog.flatten(rendered_catalog(**context))
    return {control["id"]: control for control in windows_catalog.select(controls, level, [])}


@pytest.mark.parametrize(
    ("identity", "directory", "value", "ad_only_settings"),
    [
        ("entra", "auto", 1, False),
        ("hybrid", "auto", 1, False),
        ("ad", "auto", 2, True),
        ("hybrid", "active_directory", 2, True),
    ],
)
def test_laps_backs_up_to_the_directory_of_the_identity(identity, directory, value, ad_only_settings):
    controls = selected(windows_baseline_identity=identity, windows_baseline_laps_backup_directory=directory)
    assert controls["LZW-LAPS-001"]["params"]["value"] == value
    # Password encryption and expiration protection exist only in Active Directory.
    assert ("LZW-LAPS-007" in controls) is ad_only_settings and ("LZW-LAPS-008" in controls) is ad_only_settings


@pytest.mark.parametrize(("identity", "allow_online_id"), [("entra", 1), ("ad", 0), ("hybrid", 0)])
def test_pku2u_is_left_open_on_entra_joined_hosts_for_remote_desktop(identity, allow_online_id):
    controls = selected(windows_baseline_identity=identity)
    pku2u = [c for c in controls.values() if c["type"] == "registry_value" and c["params"]["name"] == "AllowOnlineID"]
    assert [c["params"]["value"] for c in pku2u] == [allow_online_id]


@pytest.mark.parametrize(
    ("identity", "session_host", "storage_key", "stored"),
    [
        ("entra", False, False, False),
        ("ad", False, False, True),
        ("hybrid", False, False, True),
        ("hybrid", True, True, False),
        ("ad", True, False, True),
    ],
)
def test_network_credentials_may_be_stored_where_fslogix_or_entra_needs_them(
    identity, session_host, storage_key, stored
):
    controls = selected(
        windows_baseline_identity=identity,
        windows_baseline_session_host=session_host,
        windows_baseline_fslogix_storage_key=storage_key,
    )
    assert ("LZW-SEC-027" in controls) is stored


def test_the_card_s_identity_wins_for_a_group_then_for_the_municipality():
    card = {"default": "ad", "groups": {"avd_session_hosts": "entra"}}
    assert (
        role_context(landingzone_identity=card, group_names=["avd_session_hosts"])["windows_baseline_host_identity"]
        == "entra"
    )
    assert role_context(landingzone_identity=card, group_names=["servers"])["windows_baseline_host_identity"] == "ad"
    alone = role_context(windows_baseline_identity="hybrid")
    assert alone["windows_baseline_host_identity"] == "hybrid"
    conflicting = {"default": "ad", "groups": {"a": "entra", "b": "hybrid"}}
    assert role_context(landingzone_identity=conflicting, group_names=["a", "b"])[
        "windows_baseline_group_identities"
    ] == [
        "entra",
        "hybrid",
    ]


@pytest.mark.parametrize(
    "context",
    [
        dict(windows_baseline_identity=identity, windows_baseline_session_host=session, data_classification=data_class)
        for identity, session, data_class in itertools.product(("entra", "ad", "hybrid"), (False, True), (1, 4))
    ],
)
def test_no_two_selected_controls_want_different_values_of_one_registry_value(context):
    wanted = {}
    for control in selected(**context).values():
        if control["type"] == "registry_value":
            key = (control["params"]["path"].lower(), control["params"]["name"].lower())
            value = repr(control["params"]["value"])
            assert wanted.setdefault(key, (control["id"], value))[1] == value, (control["id"], wanted[key])


@pytest.mark.parametrize(
    ("account", "domain"),
    [
        ("GEMEENTE\\svc-landingzone", True),
        ("svc-landingzone@gemeente.be", True),
        (".\\beheer", False),
        ("GEM-VPC-01\\beheer", False),
        ("AzureAD\\beheer@gemeente.be", False),
        ("beheer", False),
        ("", False),
    ],
)
def test_a_domain_management_account_is_told_from_a_local_one(account, domain):
    assert domain_account(account, "gem-vpc-01.gemeente.be") is domain


def _denials(job):
    planned = {control["id"]: fixing for control, fixing in job.plan}
    refused = {control["id"]: reason for control, reason in job.not_applicable}
    return planned, refused


@pytest.mark.parametrize(
    ("identity", "account"),
    [
        ("entra", DOMAIN_ACCOUNT),
        ("hybrid", DOMAIN_ACCOUNT),
        ("ad", ""),
        ("ad", ".\\beheer"),
        ("ad", "GEM-VPC-01\\beheer"),
    ],
)
def test_local_accounts_are_not_denied_logon_without_ad_and_a_domain_management_account(identity, account):
    job = prepare(engine_args(level="essential", identity=identity, management_account=account), "gem-vpc-01")
    planned, refused = _denials(job)
    for control_id in ("LZW-URA-031", "LZW-URA-032"):
        assert control_id not in planned
        assert "break-glass RDP" in refused[control_id] and f"identity {identity}" in refused[control_id]


def test_with_ad_and_a_domain_account_local_accounts_are_denied_unless_this_run_is_one():
    args = engine_args(level="essential", identity="ad", management_account=DOMAIN_ACCOUNT)
    planned, _ = _denials(prepare(args, "gem-vpc-01", traits=()))
    assert planned["LZW-URA-031"] is True and planned["LZW-URA-032"] is True
    job = prepare(args, "gem-vpc-01", traits=("local_account",))
    planned, _ = _denials(job)
    assert planned["LZW-URA-031"] is False and "local account" in job.held_back["LZW-URA-031"]


def _with_right(key, value, compare):
    catalog = rendered_catalog()
    extra = dict(catalog["user_rights"][0], id="LZW-URA-099", params={
        "section": "Privilege Rights", "key": key, "value": value, "compare": compare,
    })  # fmt: skip
    catalog["user_rights"].append(extra)
    return catalog


@pytest.mark.parametrize(
    ("key", "value", "compare", "message"),
    [
        ("SeDenyNetworkLogonRight", ["S-1-5-32-544"], "includes", "Administrators (S-1-5-32-544)"),
        ("SeDenyRemoteInteractiveLogonRight", ["S-1-5-32-555"], "includes", "Remote Desktop Users"),
        ("SeDenyNetworkLogonRight", ["S-1-5-2"], "includes", "NETWORK (S-1-5-2)"),
        ("SeDenyInteractiveLogonRight", ["S-1-1-0", "S-1-5-32-546"], "sids", "Everyone (S-1-1-0)"),
        ("SeDenyBatchLogonRight", ["S-1-5-11"], "includes", "Authenticated Users"),
        ("SeNetworkLogonRight", ["S-1-5-32-545"], "sids", "leaves out Administrators"),
        ("SeRemoteInteractiveLogonRight", [], "sids", "granted only to no one"),
    ],
)
def test_a_user_right_that_would_deny_the_management_path_stops_before_the_host(key, value, compare, message):
    for identity in ("entra", "ad"):
        args = engine_args(
            catalog=_with_right(key, value, compare), identity=identity, management_account=DOMAIN_ACCOUNT
        )
        with pytest.raises(ManagementError, match=r"control LZW-URA-099: params\.value: ") as caught:
            prepare(args, "gem-vpc-01")
        assert message in str(caught.value)


def test_an_unknown_identity_is_named():
    with pytest.raises(ManagementError, match="windows_baseline_identity: must be one of entra, ad, hybrid"):
        prepare(engine_args(identity="azuread"), "gem-vpc-01")
