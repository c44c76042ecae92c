"""The contract test on the reference role and on roles broken on purpose.

Each test installs one role on a fresh container of the baselined lab image and checks
every clause of docs/supplier-roles.md; a broken role must fail, naming its clause.
"""

from pathlib import Path

import pytest
from contract_harness import ROOT, run_contract_test

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "supplier_roles"
PORTAL_VARS = {
    "citizen_portal_ca_cert": "{{ landingzone_ca_cert }}",
    "citizen_portal_tls_cert": "{{ landingzone_host_cert }}",
    "citizen_portal_tls_key": "{{ landingzone_host_key }}",
}
CARD_WAIVER = {
    "control": "LZ-PERM-003",
    "hosts": ["all"],
    "justification": "The legacy registry client writes the group file until its replacement in 2027.",
    "approver": "lab security officer",
    "expires": "2099-12-31",
    "compensating_measure": "File integrity monitoring alerts on every change of /etc/group.",
}

pytestmark = pytest.mark.lab


def test_citizen_portal_keeps_its_contract(baselined_host, tmp_path):
    report = run_contract_test(ROOT / "roles" / "citizen_portal", baselined_host, tmp_path, role_vars=PORTAL_VARS)
    assert not report.violations, report.text()
    print(f"citizen_portal contract test timings (s): {report.timings}")


@pytest.mark.parametrize(
    ("fixture", "clause", "words"),
    [
        ("undeclared_port", "ports", "new listener tcp/9090"),
        ("undeclared_waiver", "baseline", "LZ-PERM-003 fails after the install and"),
        ("requested_waiver", "baseline", "requested a waiver but the card has none"),
        ("data_outside", "backup.paths", "/var/lib/data-outside-cache/records.db"),
        ("failing_health", "health_check", "expected 'ready'"),
    ],
)
def test_broken_role_fails_naming_the_clause(baselined_host, tmp_path, fixture, clause, words):
    report = run_contract_test(FIXTURES / fixture, baselined_host, tmp_path)
    assert report.clauses == {clause}, report.text()
    assert f"contract clause {clause}: " in report.text()
    assert words in report.text()


def test_requested_waiver_holds_once_the_card_approves_it(baselined_host, tmp_path):
    report = run_contract_test(FIXTURES / "requested_waiver", baselined_host, tmp_path, card_waivers=[CARD_WAIVER])
    assert not report.violations, report.text()
    waived = [r for r in report.baseline_results if r["id"] == "LZ-PERM-003"]
    assert waived[0]["status"] == "waived"
    assert waived[0]["waiver_requests"][0]["role"] == "requested_waiver"
