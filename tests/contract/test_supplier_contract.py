"""The contract test on the reference role and on roles broken on purpose.

Each test installs one role on a fresh container of the baselined lab image and checks
every clause of docs/supplier-roles.md; a broken role must fail, naming its clause. The
reference role and one broken role go through `landingzone contract-test`, as a supplier
runs it; the others through the same code in the package, for their details.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from landingzone.supplier_role.contract_test import BaselinedHost, environment, is_ready, make_pki, run_contract_test

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "supplier_roles"
LANDINGZONE = Path(sys.executable).with_name("landingzone")
CARD_WAIVER = {
    "control": "LZ-PERM-003",
    "hosts": ["all"],
    "justification": "The legacy registry client writes the group file until its replacement in 2027.",
    "approver": "lab security officer",
    "expires": "2099-12-31",
    "compensating_measure": "File integrity monitoring alerts on every change of /etc/group.",
}

pytestmark = pytest.mark.lab


def contract_test_cli(*args):
    return subprocess.run(
        [str(LANDINGZONE), "contract-test", *map(str, args)],
        cwd=ROOT,
        env=environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def test_citizen_portal_keeps_its_contract(baselined_host):
    vars_file = Path(__file__).with_name("citizen_portal_vars.yml")
    result = contract_test_cli(ROOT / "roles" / "citizen_portal", "--vars", vars_file, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] and report["kept"] == {}
    statuses = {row["clause"]: row["status"] for row in report["clauses"]}
    assert set(statuses.values()) == {"pass"} and "backup.restore" in statuses, statuses
    print(f"citizen_portal contract test timings (s): {report['timings']}")


def test_cli_names_the_broken_clause_and_exits_1(baselined_host):
    result = contract_test_cli(FIXTURES / "undeclared_port")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("fail")] == [
        next(line for line in lines if line.startswith("fail  ports: new listener tcp/9090"))
    ], result.stdout
    assert "pass  health_check: the declared health check passes" in lines
    assert lines[-1] == "role undeclared_port breaks its contract"
    assert (
        "lz-contract-undeclared-port"
        not in subprocess.run(
            ["podman", "ps", "-a", "--format", "{{.Names}}"],
            env=environment(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


@pytest.mark.parametrize(
    ("fixture", "clause", "words"),
    [
        ("undeclared_waiver", "baseline", "LZ-PERM-003 fails after the install and"),
        ("requested_waiver", "baseline", "requested a waiver but the card has none"),
        ("data_outside", "backup.paths", "/var/lib/data-outside-cache/records.db"),
        ("failing_health", "health_check", "expected 'ready'"),
        ("missing_service", "services", "not active after the install: missing-service.service (inactive)"),
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


def test_a_role_whose_data_is_a_mariadb_database_keeps_its_contract(baselined_host, tmp_path):
    report = run_contract_test(FIXTURES / "mariadb_records", baselined_host, tmp_path)
    assert not report.violations, report.text()
    statuses = {row["clause"]: row["status"] for row in report.clause_results()}
    assert set(statuses.values()) == {"pass"} and "backup.restore" in statuses, statuses


def test_the_baselined_image_is_used_only_with_the_ca_it_was_made_with(baselined_host, tmp_path):
    assert is_ready(baselined_host)
    # Another CA beside the same image (as when another checkout rebuilt it): not a match, so
    # the image would be made again rather than checked against certificates it does not hold.
    make_pki(tmp_path / "pki")
    assert not is_ready(BaselinedHost(image=baselined_host.image, pki_dir=tmp_path / "pki"))
