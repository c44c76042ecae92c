"""What the landing zone derives from a contract: firewall drop-in, backup set, health check,
waiver requests beside the engine's results; and the Ansible filters that expose them."""

import subprocess
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.cyberveilig.landingzone.plugins.filter import supplier_contract as filters

from landingzone.supplier_role import (
    Contract,
    ContractError,
    annotate_waiver_requests,
    backup_set,
    firewall_dropin,
    health_check,
    health_check_url,
    validate,
    waiver_requests,
)

ROOT = Path(__file__).resolve().parents[3]


def contract(**changes):
    data = {
        "contract_version": 1,
        "role": "example_app",
        "ports": [
            {"port": 443, "proto": "tcp", "sources": ["any"], "purpose": "HTTPS"},
            {"port": 5432, "proto": "tcp", "sources": ["management", "2001:db8::/64"]},
            {"port": 514, "proto": "udp", "sources": ["municipality"]},
        ],
        "backup": {"paths": ["/srv/example"], "databases": [{"engine": "postgresql", "name": "example"}]},
        "health_check": {"https": {"path": "/health", "expect": "ok", "port": 8443}},
        "waiver_requests": [{"control": "LZ-PERM-003", "justification": "The vendor's client writes the group file."}],
    }
    data.update(changes)
    return validate(data, "roles/example_app/meta/landingzone.yml")


def test_the_dropin_adds_one_rule_per_port_and_family_to_the_baseline_chain():
    text = firewall_dropin(contract(), ["10.231.10.0/24"], ["10.40.0.0/16"])
    rules = [line for line in text.splitlines() if not line.startswith("#")]
    assert rules == [
        'add rule inet landingzone_filter input tcp dport 443 accept comment "example_app: HTTPS"',
        "add rule inet landingzone_filter input ip saddr { 10.231.10.0/24 } tcp dport 5432 accept "
        'comment "example_app: declared port"',
        "add rule inet landingzone_filter input ip6 saddr { 2001:db8::/64 } tcp dport 5432 accept "
        'comment "example_app: declared port"',
        "add rule inet landingzone_filter input ip saddr { 10.40.0.0/16 } udp dport 514 accept "
        'comment "example_app: declared port"',
    ]


def test_municipality_falls_back_to_the_management_networks():
    assert "ip saddr { 10.231.10.0/24 } udp dport 514" in firewall_dropin(contract(), ["10.231.10.0/24"])


def test_management_without_networks_is_an_error_naming_the_port():
    with pytest.raises(ValueError, match=r"landingzone.yml: ports\[1\]\.sources: 'management'"):
        firewall_dropin(contract(), [])


def test_the_dropin_is_valid_nftables_after_the_baseline_ruleset(tmp_path):
    """nft parses the baseline's table plus the drop-in, as /etc/nftables.conf includes it."""
    nft = subprocess.run(["which", "nft"], capture_output=True, text=True, check=False).stdout.strip()
    if not nft:
        pytest.skip("nft is not installed on this machine")
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.handlers import nftables_ruleset

    params = {"management_networks": ["10.231.10.0/24"], "ssh_port": 22, "allowed_inbound": [], "forwarding": False}
    dropins = tmp_path / "nftables.d"
    dropins.mkdir()
    (dropins / "example_app.nft").write_text(firewall_dropin(contract(), ["10.231.10.0/24"]))
    ruleset = nftables_ruleset.render(params, None).replace("/etc/nftables.d/*.nft", f"{dropins}/*.nft")
    ruleset = ruleset.replace(f"table inet {nftables_ruleset.TABLE}\ndelete table inet {nftables_ruleset.TABLE}\n", "")
    (tmp_path / "nftables.conf").write_text(ruleset)
    result = subprocess.run(
        [nft, "-c", "-f", str(tmp_path / "nftables.conf")], capture_output=True, text=True, check=False
    )
    if "Operation not permitted" in result.stderr:
        pytest.skip("nft -c needs CAP_NET_ADMIN here")
    assert result.returncode == 0, result.stderr


def test_backup_set_merges_roles_without_repeats():
    other = contract(role="other_app", backup={"paths": ["/srv/example", "/srv/other"], "databases": []})
    assert backup_set([contract(), other]) == {
        "paths": ["/srv/example", "/srv/other"],
        "databases": [{"engine": "postgresql", "name": "example"}],
        "services": [],
    }


def test_backup_set_names_the_services_to_stop_while_the_dumps_load():
    one = contract(services=["example-app.service", "example-worker@1.service"])
    other = contract(role="other_app", services=["other-app.service", "example-app.service"])
    assert backup_set([one, other])["services"] == [
        "example-app.service", "example-worker@1.service", "other-app.service",
    ]  # fmt: skip
    assert backup_set(contract())["services"] == []


def test_health_checks_for_the_drill():
    assert health_check(contract()) == {
        "role": "example_app", "timeout": 30, "kind": "https", "port": 8443, "path": "/health", "expect": "ok",
    }  # fmt: skip
    assert health_check_url(contract(), "demo-app1") == "https://demo-app1:8443/health"
    command = contract(health_check={"command": {"argv": ["/usr/bin/check"], "expect": "ok"}, "timeout": 5})
    assert health_check(command)["argv"] == ["/usr/bin/check"]
    assert health_check_url(command, "demo-app1") is None


def test_a_waiver_request_is_shown_beside_a_failing_control_but_changes_no_status():
    results = [
        {"id": "LZ-PERM-003", "status": "fail", "reason": "too permissive: /etc/group"},
        {"id": "LZ-PERM-001", "status": "pass"},
    ]
    annotated = annotate_waiver_requests(results, waiver_requests(contract()))
    assert annotated[0]["status"] == "fail"
    assert annotated[0]["reason"] == (
        "too permissive: /etc/group; waiver requested by role example_app: "
        "The vendor's client writes the group file. (not approved on the card)"
    )
    assert annotated[1] == results[1]


def test_filters_read_the_reference_role_and_report_errors_as_filter_errors(tmp_path):
    data = filters.supplier_contract(str(ROOT / "roles" / "citizen_portal"))
    assert data["contract"]["role"] == "citizen_portal"
    assert "tcp dport 443 accept" in filters.supplier_firewall_dropin(data, ["10.0.0.0/8"])
    assert filters.supplier_backup_set([data])["databases"] == [{"engine": "postgresql", "name": "citizen_portal"}]
    assert filters.supplier_backup_set("citizen_portal")["services"] == ["citizen-portal.service"]
    assert filters.supplier_health_check(data)["kind"] == "command"
    assert filters.supplier_waiver_requests(data) == []
    assert filters.supplier_contract("citizen_portal") == data
    with pytest.raises(AnsibleFilterError, match=r"nothing_here/meta/landingzone.yml: \(file\): missing"):
        filters.supplier_contract(str(tmp_path / "nothing_here"))


HOSTILE_PURPOSES = [
    'x" ; add rule inet landingzone_filter input accept comment "',
    'x\\" accept',
    "line one\nadd rule inet landingzone_filter input accept",
    "bell\x07 and\x00nul",
    "x" * 300,
]


@pytest.mark.parametrize("purpose", HOSTILE_PURPOSES)
def test_a_purpose_that_would_break_out_of_the_nft_comment_is_refused(purpose):
    # The purpose becomes the rule's comment; a supplier may write the contract, not the firewall.
    with pytest.raises(ContractError) as caught:
        contract(ports=[{"port": 8443, "proto": "tcp", "sources": ["any"], "purpose": purpose}])
    assert [field for field, _ in caught.value.problems] == ["ports[0].purpose"]


@pytest.mark.parametrize("purpose", HOSTILE_PURPOSES)
def test_the_dropin_keeps_one_rule_even_if_a_hostile_purpose_got_past_the_schema(purpose):
    # As if the data had not come through the schema: the encoder alone must hold.
    hostile = Contract(
        source="x.yml",
        data={"role": "evil_app", "ports": [{"port": 8443, "proto": "tcp", "sources": ["any"], "purpose": purpose}]},
    )
    rules = [line for line in firewall_dropin(hostile, ["10.0.0.0/8"]).splitlines() if not line.startswith("#")]
    assert len(rules) == 1
    head, comment = rules[0].split(" comment ", 1)
    assert head == "add rule inet landingzone_filter input tcp dport 8443 accept"
    assert comment.startswith('"evil_app: ') and comment.endswith('"') and comment.count('"') == 2
    assert comment.isprintable() and "\\" not in comment and len(comment.encode()) <= 128 + 2


def test_an_ordinary_purpose_keeps_its_words():
    port = {"port": 443, "proto": "tcp", "sources": ["any"], "purpose": "HTTPS: citizens' portal (v2); é"}
    text = firewall_dropin(contract(ports=[port]), [])
    assert 'comment "example_app: HTTPS: citizens\' portal (v2); é"' in text
