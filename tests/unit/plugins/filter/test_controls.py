"""The catalog filters: selection by level and switch, adjustments, waivers, summaries, errors."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.filter.controls import (
    FilterModule,
    catalog_ids,
    control_status_summary,
    select_controls,
)


def make(control_id, level="basic", ctype="sshd_option", params=None, **extra):
    control = {
        "id": control_id,
        "title": f"title of {control_id}",
        "rationale": "because",
        "level": level,
        "level_2025": level,
        "cyfun": ["PR.AC-1.1"],
        "cyfun_2025": ["PR.AA-01.1"],
        "cis": ["5.1.1"],
        "applies_to": ["server", "virtual_pc", "container"],
        "risk": "low",
        "type": ctype,
        "params": params if params is not None else {"option": "X11Forwarding", "value": "no"},
    }
    control.update(extra)
    return control


@pytest.fixture
def catalog():
    return {
        "ssh": [make("LZ-SSH-001"), make("LZ-SSH-002", level="important")],
        "sysctl": [
            make("LZ-SYSCTL-001", ctype="sysctl", params={"key": "net.ipv4.ip_forward", "value": 0}),
            make("LZ-SYSCTL-002", level="essential", ctype="sysctl", params={"key": "kernel.sysrq", "value": 0}),
        ],
        "firewall": [
            make(
                "LZ-FW-001",
                ctype="nftables_ruleset",
                params={
                    "management_networks": ["10.0.0.0/8"],
                    "ssh_port": 22,
                    "allowed_inbound": [],
                    "forwarding": False,
                },
            )
        ],
        "logging": [
            make("LZ-LOG-001", ctype="file_content", params={"path": "/x", "content": "y"}, configured_when=False)
        ],
    }


def ids(controls):
    return [control["id"] for control in controls]


def test_the_filters_are_registered():
    assert set(FilterModule().filters()) == {"select_controls", "catalog_ids", "control_status_summary"}


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("basic", ["LZ-SSH-001", "LZ-SYSCTL-001", "LZ-FW-001"]),
        ("important", ["LZ-SSH-001", "LZ-SSH-002", "LZ-SYSCTL-001", "LZ-FW-001"]),
        ("essential", ["LZ-SSH-001", "LZ-SSH-002", "LZ-SYSCTL-001", "LZ-SYSCTL-002", "LZ-FW-001"]),
    ],
)
def test_each_level_includes_the_levels_below_it(catalog, level, expected):
    assert ids(select_controls(catalog, level)) == expected


def test_the_edition_chooses_which_level_selects(catalog):
    catalog["ssh"][0]["level_2025"] = "essential"  # later under 2025 than under 2023
    catalog["sysctl"][1]["level_2025"] = "basic"  # earlier under 2025
    assert ids(select_controls(catalog, "basic")) == ["LZ-SSH-001", "LZ-SYSCTL-001", "LZ-FW-001"]
    assert ids(select_controls(catalog, "basic", edition=2025)) == ["LZ-SYSCTL-001", "LZ-SYSCTL-002", "LZ-FW-001"]
    assert ids(select_controls(catalog, "basic", edition="2025")) == ids(
        select_controls(catalog, "basic", edition=2025)
    )


def test_the_engine_gets_the_level_of_the_edition_and_both_editions_references(catalog):
    catalog["sysctl"][1]["level_2025"] = "basic"
    catalog["sysctl"][1]["cis_debian13"] = ["1.5.10"]
    (control,) = [c for c in select_controls(catalog, "basic", edition=2025) if c["id"] == "LZ-SYSCTL-002"]
    assert control["level"] == "basic" and control["cyfun_edition"] == 2025 and "level_2025" not in control
    assert control["cyfun"] == ["PR.AC-1.1"] and control["cyfun_2025"] == ["PR.AA-01.1"]
    assert control["cis_debian13"] == ["1.5.10"]
    (same,) = [c for c in select_controls(catalog, "essential") if c["id"] == "LZ-SYSCTL-002"]
    assert same["level"] == "essential" and same["cyfun_edition"] == 2023


@pytest.mark.parametrize("edition", [2021, "2024", "latest", None])
def test_an_edition_the_catalog_does_not_know_is_an_error(catalog, edition):
    with pytest.raises(AnsibleFilterError, match="cyfun edition: must be one of 2023, 2025"):
        select_controls(catalog, "basic", edition=edition)


def test_a_disabled_control_is_left_out(catalog):
    assert "LZ-SSH-001" not in ids(select_controls(catalog, "essential", disabled=["LZ-SSH-001"]))


def test_an_unknown_disabled_id_is_an_error_naming_it(catalog):
    with pytest.raises(AnsibleFilterError, match=r"LZ-SSH-999: linux_baseline_disabled_controls"):
        select_controls(catalog, "basic", disabled=["LZ-SSH-999"])


def test_an_unknown_level_is_an_error(catalog):
    with pytest.raises(AnsibleFilterError, match="level"):
        select_controls(catalog, "maximal")


def test_a_control_whose_prerequisite_is_not_configured_is_skipped(catalog):
    assert "LZ-LOG-001" not in ids(select_controls(catalog, "essential"))
    catalog["logging"][0]["configured_when"] = "True"
    assert "LZ-LOG-001" in ids(select_controls(catalog, "essential"))


def test_the_role_only_field_never_reaches_the_engine(catalog):
    catalog["logging"][0]["configured_when"] = True
    logging = [c for c in select_controls(catalog, "basic") if c["id"] == "LZ-LOG-001"][0]
    assert "configured_when" not in logging


def test_host_kind_filters_on_applies_to(catalog):
    catalog["ssh"][0]["applies_to"] = ["server"]
    assert "LZ-SSH-001" not in ids(select_controls(catalog, "basic", host_kind="container"))
    assert "LZ-SSH-001" in ids(select_controls(catalog, "basic", host_kind="server"))
    assert "LZ-SSH-001" in ids(select_controls(catalog, "basic"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("level", "extreme", "LZ-SSH-001: level"),
        ("level_2025", "basic plus", "LZ-SSH-001: level_2025"),
        ("risk", "none", "LZ-SSH-001: risk"),
        ("cyfun", ["PR.AC1"], "LZ-SSH-001: cyfun: 'PR.AC1' is not an id of cyfun-2023"),
        ("cyfun", [], "LZ-SSH-001: cyfun: needs at least one"),
        ("cyfun", ["PR.AA-01.1"], "LZ-SSH-001: cyfun: 'PR.AA-01.1' is not an id of cyfun-2023"),
        ("cyfun", "PR.AC-1.1", "LZ-SSH-001: cyfun: must be a list"),
        ("cyfun_2025", ["PR.AC-1.1"], "LZ-SSH-001: cyfun_2025: 'PR.AC-1.1' is not an id of cyfun-2025"),
        ("cyfun_2025", [], "LZ-SSH-001: cyfun_2025: needs at least one"),
        ("cis", ["five"], "LZ-SSH-001: cis: 'five' is not an id of cis-debian-12"),
        ("cis", ["3.3.1"], "LZ-SSH-001: cis: '3.3.1' is not an id of cis-debian-12"),
        ("cis", ["5.1.1", "5.1.1"], "LZ-SSH-001: cis: lists an id more than once"),
        ("cis_debian13", ["5.1.24"], "LZ-SSH-001: cis_debian13: '5.1.24' is not an id of cis-debian-13"),
        ("anssi", ["R81"], "LZ-SSH-001: anssi: 'R81' is not an id of anssi-bp-028"),
        ("applies_to", ["mainframe"], "LZ-SSH-001: applies_to"),
        ("params", "no", "LZ-SSH-001: params"),
        ("title", "", "LZ-SSH-001: title"),
    ],
)
def test_a_bad_field_is_an_error_naming_control_and_field(catalog, field, value, message):
    catalog["ssh"][0][field] = value
    with pytest.raises(AnsibleFilterError, match=message):
        select_controls(catalog, "basic")


@pytest.mark.parametrize("field", ["rationale", "level_2025", "cyfun_2025"])
def test_a_missing_field_is_an_error_naming_it(catalog, field):
    del catalog["ssh"][0][field]
    with pytest.raises(AnsibleFilterError, match=f"LZ-SSH-001: {field}: is required"):
        select_controls(catalog, "basic")


def test_an_unknown_field_is_an_error(catalog):
    catalog["ssh"][0]["severity"] = "high"
    with pytest.raises(AnsibleFilterError, match="LZ-SSH-001: severity: unknown field"):
        select_controls(catalog, "basic")


def test_a_duplicate_id_is_an_error_naming_both_areas(catalog):
    catalog["sysctl"].append(make("LZ-SSH-001"))
    with pytest.raises(AnsibleFilterError, match="LZ-SSH-001: id: is used in area ssh and in area sysctl"):
        select_controls(catalog, "basic")


def test_a_malformed_id_is_an_error(catalog):
    catalog["ssh"][0]["id"] = "SSH-1"
    with pytest.raises(AnsibleFilterError, match="catalog area ssh: entry 0: id"):
        select_controls(catalog, "basic")


def test_forwarding_turns_ip_forward_on_and_lets_the_firewall_forward(catalog):
    adjustments = [{"role": "vpn_gateway", "forwarding": True}]
    selected = {c["id"]: c for c in select_controls(catalog, "basic", adjustments=adjustments)}
    assert selected["LZ-SYSCTL-001"]["params"]["value"] == 1
    assert "vpn_gateway" in selected["LZ-SYSCTL-001"]["title"]
    assert selected["LZ-FW-001"]["params"]["forwarding"] is True


def test_a_routing_role_declares_where_new_forwarded_traffic_comes_from(catalog):
    adjustments = [
        {"role": "vpn_gateway", "forwarding": True, "forward_from": [{"interface": "lzwg0"}, {"ipsec": True}]}
    ]
    firewall = [c for c in select_controls(catalog, "basic", adjustments=adjustments) if c["id"] == "LZ-FW-001"][0]
    assert firewall["params"]["forward_from"] == [
        {"interface": "lzwg0", "comment": "declared by role vpn_gateway"},
        {"ipsec": True, "comment": "declared by role vpn_gateway"},
    ]


def test_without_adjustments_forwarding_stays_off(catalog):
    selected = {c["id"]: c for c in select_controls(catalog, "basic", adjustments=[])}
    assert selected["LZ-SYSCTL-001"]["params"]["value"] == 0
    assert selected["LZ-FW-001"]["params"]["forwarding"] is False
    assert selected["LZ-FW-001"]["title"] == "title of LZ-FW-001"


def test_declared_inbound_services_are_added_to_the_firewall_with_their_role(catalog):
    adjustments = [{"role": "backup_server", "inbound": [{"port": 8007, "proto": "tcp", "sources": ["10.1.0.0/16"]}]}]
    firewall = [c for c in select_controls(catalog, "basic", adjustments=adjustments) if c["id"] == "LZ-FW-001"][0]
    assert firewall["params"]["allowed_inbound"] == [
        {"port": 8007, "proto": "tcp", "sources": ["10.1.0.0/16"], "comment": "declared by role backup_server"}
    ]
    assert "backup_server" in firewall["title"]


def test_a_declared_sysctl_overrides_the_catalog_value(catalog):
    adjustments = [{"role": "router", "sysctls": {"kernel.sysrq": 1}}]
    sysrq = [c for c in select_controls(catalog, "essential", adjustments=adjustments) if c["id"] == "LZ-SYSCTL-002"][0]
    assert sysrq["params"]["value"] == 1


def test_a_declared_sysctl_the_catalog_lacks_becomes_a_control_of_its_own(catalog):
    adjustments = [{"role": "vpn_gateway", "sysctls": {"net.ipv4.conf.all.src_valid_mark": 1}}]
    extra = [c for c in select_controls(catalog, "basic", adjustments=adjustments) if c["id"].startswith("LZ-ADJ-")]
    assert len(extra) == 1
    assert extra[0]["params"] == {"key": "net.ipv4.conf.all.src_valid_mark", "value": 1}
    assert extra[0]["type"] == "sysctl"
    assert "vpn_gateway" in extra[0]["title"]


def test_two_roles_wanting_different_values_for_one_sysctl_is_an_error(catalog):
    adjustments = [
        {"role": "a", "sysctls": {"kernel.sysrq": 1}},
        {"role": "b", "sysctls": {"kernel.sysrq": 0}},
    ]
    with pytest.raises(AnsibleFilterError, match=r"role b.*sysctls.kernel.sysrq: role a wants"):
        select_controls(catalog, "basic", adjustments=adjustments)


@pytest.mark.parametrize(
    ("adjustment", "message"),
    [
        ({"forwarding": True}, "role"),
        ({"role": "x", "forwarding": "yes"}, "forwarding"),
        ({"role": "x", "inbound": [{"proto": "tcp"}]}, "port"),
        ({"role": "x", "inbound": [{"port": 1, "proto": "icmp"}]}, "proto"),
        ({"role": "x", "inbound": [{"port": 1, "sources": ["nowhere"]}]}, "not a CIDR"),
        ({"role": "x", "sysctls": ["kernel.sysrq"]}, "sysctls"),
        ({"role": "x", "outbound": []}, "outbound: unknown field"),
        ({"role": "x", "forward_from": [{"interface": "lzwg0"}]}, "forward_from: needs forwarding: true"),
        ({"role": "x", "forwarding": True, "forward_from": [{"interface": "a b"}]}, "not an interface name"),
        ({"role": "x", "forwarding": True, "forward_from": [{"interface": "a", "ipsec": True}]}, "exactly one"),
        ({"role": "x", "forwarding": True, "forward_from": [{"ipsec": "yes"}]}, "exactly one"),
        ({"role": "x", "forwarding": True, "forward_from": "lzwg0"}, "forward_from: must be a list"),
    ],
)
def test_a_malformed_adjustment_is_an_error(catalog, adjustment, message):
    with pytest.raises(AnsibleFilterError, match=message):
        select_controls(catalog, "basic", adjustments=[adjustment])


def test_the_result_is_plain_data(catalog):
    for control in select_controls(catalog, "essential"):
        assert type(control) is dict
        assert type(control["params"]) is dict


def test_catalog_ids_lists_every_control_selected_or_not(catalog):
    ids = catalog_ids(catalog)
    assert "LZ-SSH-001" in ids
    assert len(ids) == len(set(ids))
    assert set(ids) >= {c["id"] for c in select_controls(catalog, "basic")}


def test_the_summary_counts_per_status_and_names_what_did_not_pass():
    results = [
        {"id": "A", "status": "pass"},
        {"id": "B", "status": "fixed"},
        {"id": "C", "status": "pass"},
        {"id": "D", "status": "not_applicable"},
        {"id": "E", "status": "fixed"},
    ]
    assert control_status_summary(results) == {
        "pass": {"count": 2},
        "fixed": {"count": 2, "ids": ["B", "E"]},
        "not_applicable": {"count": 1, "ids": ["D"]},
    }


def test_the_summary_of_nothing_is_empty():
    assert control_status_summary([]) == {}
