"""`landingzone drill` on the lab municipality: the population register (a data directory) is
backed up from demo-app1, then brought back on an empty lab host with the baseline applied,
verified file by file against the backup-time manifest, and timed against its RTO. A service
whose host has no backup fails the drill, and the evidence says at which step.

The citizen portal, the card's critical service, names its supplier role: the drill restores the
role's backup set (the dump of its PostgreSQL database), applies the role without its sample
data, loads the dump and runs the contract's health check. From a backup without the dump it
fails; from the next backup, which has it, the portal serves again.

Last, a backup run that fails (a wrong repository password on the agent) shows in the audit's
evidence and report while its latest snapshot is still within the RPO.

Then the whole municipality: `drill demo --all` rebuilds the log collector and the app host, and
brings both tier-1 services back onto the one rebuilt app host, which logs to the rebuilt
collector; then the card's workplace, its desk logged into by a real RDP client. On a copy of
the demo card whose order matters across hosts (tests/drill_order_card.py),
the drill runs the plan's steps rather than its hosts: a service on the collector's host waits for
the portal on the app host, a host needed through depends_on comes back with the service it runs,
and a service on two hosts comes back on both, each from its own host's backup. (The rebuilt
hosts' trust, an impostor at a rebuilt host's address, is tried in test_host_keys.)

`make test` drills the portal and checks the failing backup; the register, the service without a
backup and the whole `--all` drill are in `make test-slow`.

Only the hosts the drill needs are set up (the backup server, and demo-app1 with the baseline
and the portal, as site.yml would): the drill's own run applies the baseline to its target."""

import json
import time

import pytest
from drill_order_card import SEEDS, write_fleet
from lab_cli import LAB_VAULT_PASSWORD, ROOT, lab_playbooks, landingzone, podman
from offsite_lab import files_bytes

DEMO = ROOT / "inventories" / "demo"
REGISTER = "/srv/bevolkingsregister"
# Files of several owners and modes, one of them binary, so the restore is compared for all of that.
SEED = f"""
set -e
install -d -m 0750 -o root -g adm {REGISTER} {REGISTER}/akten
printf 'rijksregisternummer;naam\\n85.07.30-033.28;An Peeters\\n' > {REGISTER}/personen.csv
chmod 0640 {REGISTER}/personen.csv
head -c 300000 /dev/urandom > {REGISTER}/akten/geboorte-2026-0042.pdf
chown operator:adm {REGISTER}/akten/geboorte-2026-0042.pdf
chmod 0600 {REGISTER}/akten/geboorte-2026-0042.pdf
ln -sf personen.csv {REGISTER}/actueel.csv
"""


def _wait_for_backup(host: str, timeout: float = 180) -> dict:
    """Start the host's backup service and return its local fact once the run has ended."""
    podman("exec", host, "systemctl", "start", "--no-block", "landingzone-backup.service")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = podman("exec", host, "systemctl", "show", "-P", "ActiveState", "landingzone-backup.service").strip()
        if state in ("inactive", "failed"):
            return json.loads(podman("exec", host, "cat", "/etc/ansible/facts.d/backup.fact"))
        time.sleep(2)
    raise AssertionError(f"the backup of {host} did not end within {timeout}s")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """A fleet of its own (runs and evidence land there) whose municipality is the demo's."""
    directory = tmp_path_factory.mktemp("fleet")
    (directory / "demo").symlink_to(DEMO)
    return directory


@pytest.fixture(scope="module")
def backed_up_demo(fleet, tmp_path_factory):
    try:
        up = landingzone(fleet, "lab", "up", "demo")
        assert up.returncode == 0, up.stdout + up.stderr
        card_vars = tmp_path_factory.mktemp("vars") / "card.yml"
        exported = landingzone(fleet, "--vault-password-file", str(LAB_VAULT_PASSWORD), "card-vars", "demo")
        assert exported.returncode == 0, exported.stderr
        card_vars.write_text(exported.stdout)
        podman("exec", "demo-app1", "sh", "-c", SEED)
        _playbook(card_vars, "demo-app1", {}, "baseline.yml", "citizen_portal.yml")
        # The agent is not told of the portal's database yet: this first backup has no dump of it.
        no_dumps = {
            "backup_agent_initial_backup": False,
            "backup_agent_databases": [],
            "backup_agent_autodetect_databases": False,
        }
        _playbook(card_vars, "demo-backup1,demo-app1", no_dumps, "backup.yml")
        fact = _wait_for_backup("demo-app1")
        assert fact["last_run"]["status"] == "ok" and fact["last_snapshot"]["databases"] == [], fact
        yield card_vars
    finally:
        landingzone(fleet, "lab", "down", "demo")


def _playbook(card_vars, limit, extra_vars, *playbooks):
    """Playbooks of the collection on the demo inventory, with the card's variables."""
    lab_playbooks(DEMO, card_vars, limit, extra_vars, *playbooks, timeout=900)


def _drill(fleet, service):
    result = landingzone(
        fleet, "--json", "--vault-password-file", str(LAB_VAULT_PASSWORD), "drill", "demo", "--service", service
    )
    assert result.stdout.startswith("{"), result.stdout[-3000:] + result.stderr[-3000:]
    return result, json.loads(result.stdout)


# The data-directory path of the drill; make test keeps the portal's, which goes further.
@pytest.mark.lab
@pytest.mark.slow
def test_the_register_comes_back_on_an_empty_host_within_its_rto(backed_up_demo, fleet):
    result, summary = _drill(fleet, "bevolkingsregister")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    (record,) = summary["drills"]
    assert record["service"] == "bevolkingsregister" and record["source_host"] == "demo-app1"
    assert record["status"] == "pass" and record["rto_met"] is True and record["rto_minutes"] == 240
    assert 0 < record["achieved_seconds"] < 240 * 60
    assert record["restored_files"] >= 4 and record["restored_bytes"] >= 300000
    assert record["snapshot"]["id"]

    (outcome,) = summary["municipalities"]
    evidence = json.loads((ROOT / outcome["evidence_dir"] / "results.json").read_text())
    assert evidence["run"]["kind"] == "drill"
    (target,) = evidence["drill"]
    assert target == "demo-drill-bevolkingsregister"
    assert evidence["drill"][target][0]["rto_met"] is True
    # The baseline was applied to the empty host as part of the drill.
    assert any(r["host"] == target and r["status"] in ("pass", "fixed") for r in evidence["results"])
    report = (ROOT / outcome["evidence_dir"] / "report.html").read_text()
    assert 'id="drill"' in report and "bevolkingsregister" in report
    # The empty host is gone again; the lab's own hosts are untouched.
    assert podman("ps", "-a", "-q", "--filter", f"name={target}") == ""
    assert "demo-app1" in podman("ps", "--format", "{{.Names}}").split()


@pytest.mark.lab
def test_the_portal_comes_back_from_its_latest_backup_and_from_nothing_else(backed_up_demo, fleet):
    # The latest backup has no dump of the portal's database: the role brings no sample data
    # of its own in a drill, so nothing can stand in for the restore and the drill fails.
    result, summary = _drill(fleet, "citizen-portal")
    assert result.returncode == 3, result.stdout[-3000:] + result.stderr[-2000:]
    (record,) = summary["drills"]
    assert record["status"] == "fail" and record["rto_met"] is False and record["supplier_role"] == "citizen_portal"
    assert record["verdict"] == "fail"
    assert record["failed_step"].startswith("Restore the latest backup"), record
    assert "nothing under the given paths" in record["error"], record

    # As site.yml runs it: the agent now dumps the databases the portal's contract declares.
    _playbook(backed_up_demo, "demo-app1", {}, "backup.yml")
    fact = _wait_for_backup("demo-app1")
    assert fact["last_snapshot"]["databases"] == ["postgresql:citizen_portal"], fact

    result, summary = _drill(fleet, "citizen-portal")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    (record,) = summary["drills"]
    assert record["service"] == "citizen-portal" and record["source_host"] == "demo-app1"
    assert record["status"] == "pass" and record["rto_met"] is True and record["rto_minutes"] == 240
    assert record["verdict"] == "pass"
    assert 0 < record["achieved_seconds"] < 240 * 60
    # From the latest backup, the one with the dump, loaded into the database the role installed.
    assert record["snapshot"]["id"].startswith(fact["last_snapshot"]["id"])  # the fact keeps restic's short id
    assert record["databases"] == ["postgresql:citizen_portal"] and record["restored_files"] >= 1
    assert record["health_check"] == "citizen_portal contract: /usr/local/sbin/citizen-portal-healthcheck"
    assert podman("ps", "-a", "-q", "--filter", "name=demo-drill-citizen-portal") == ""


@pytest.mark.lab
@pytest.mark.slow
def test_a_service_without_a_backup_fails_the_drill_and_says_where(backed_up_demo, fleet):
    result, summary = _drill(fleet, "website")
    assert result.returncode == 3, result.stdout[-3000:] + result.stderr[-2000:]
    (record,) = summary["drills"]
    assert record["service"] == "website" and record["source_host"] == "demo-app2"
    assert record["status"] == "fail" and record["rto_met"] is False
    assert record["failed_step"].startswith("Restore the latest backup")
    assert podman("ps", "-a", "-q", "--filter", "name=demo-drill-website") == ""


@pytest.mark.lab
def test_a_failing_backup_shows_in_the_audit_before_its_rpo_is_missed(backed_up_demo, fleet):
    """The agent's password is wrong: its run fails, the local fact says so, and the audit's
    evidence and report mark the host's backup although its latest snapshot is still young."""
    password_file = "/etc/landingzone-backup/repository.password"
    podman("exec", "demo-app1", "sh", "-c", f"cp -p {password_file} /root/password.saved && printf x > {password_file}")
    try:
        fact = _wait_for_backup("demo-app1")
        audit = landingzone(
            fleet, "--json", "--vault-password-file", str(LAB_VAULT_PASSWORD), "audit", "demo", "--limit", "demo-app1"
        )
    finally:
        podman("exec", "demo-app1", "mv", "/root/password.saved", password_file)
    assert fact["last_run"]["status"] == "failed" and "wrong password" in fact["last_run"]["error"], fact

    assert audit.returncode == 1, audit.stdout[-3000:] + audit.stderr[-2000:]
    (outcome,) = json.loads(audit.stdout)["municipalities"]
    evidence = json.loads((ROOT / outcome["evidence_dir"] / "results.json").read_text())
    # Non-compliant because of the backup alone: the baseline on the host holds.
    statuses = {result["status"] for result in evidence["results"] if result["host"] == "demo-app1"}
    assert statuses <= {"pass", "waived", "not_applicable"}, statuses
    # The backup server's judgment first (by arrival: the latest snapshot is still young), then the
    # host's own view, which knows its last run failed.
    server, record = evidence["backup"]["demo-app1"]
    assert server["check"] == "server_rpo" and server["rpo_met"] is True and server["verdict"] == "pass", server
    assert record["check"] == "client_view"
    # Within its RPO, yet its last run failed: the host's own view says so in its verdict.
    assert record["rpo_met"] is True and record["last_run_ok"] is False and record["verdict"] == "fail"
    assert "wrong password" in record["last_run"]["error"]
    report = (ROOT / outcome["evidence_dir"] / "report.html").read_text()
    backup = report[report.index('id="backup"') :]
    assert "Backups (1 need attention)" in backup and 'class="breach"' in backup[: backup.index("</section>")]


def _ensure_backup_with_the_portals_dump(card_vars) -> None:
    """The latest backup of demo-app1 holds the portal's dump (the portal's drill above makes one;
    alone, this makes it)."""
    fact = json.loads(podman("exec", "demo-app1", "cat", "/etc/ansible/facts.d/backup.fact"))
    if fact["last_snapshot"]["databases"] != ["postgresql:citizen_portal"]:
        _playbook(card_vars, "demo-app1", {}, "backup.yml")
        fact = _wait_for_backup("demo-app1")
        assert fact["last_snapshot"]["databases"] == ["postgresql:citizen_portal"], fact


@pytest.mark.lab
@pytest.mark.slow
def test_all_tier_1_services_come_back_on_rebuilt_hosts_logging_to_the_rebuilt_collector(backed_up_demo, fleet):
    _ensure_backup_with_the_portals_dump(backed_up_demo)
    result = landingzone(fleet, "--json", "--vault-password-file", str(LAB_VAULT_PASSWORD), "drill", "demo", "--all")
    assert result.stdout.startswith("{"), result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

    # Both tier-1 services, in restore order, on the one rebuilt app host; each against its RTO.
    assert [record["service"] for record in summary["drills"]] == ["citizen-portal", "bevolkingsregister"]
    for record in summary["drills"]:
        assert record["status"] == "pass" and record["rto_met"] is True and record["rto_minutes"] == 240, record
        assert record["verdict"] == "pass", record
        assert record["rebuilt_host"] == "demo-drill-app1" and record["source_host"] == "demo-app1"
        assert record["logs_to"].startswith("demo-drill-log1 (10.231.10."), record
        assert 0 < record["achieved_seconds"] < 240 * 60
    portal, register = summary["drills"]
    assert portal["databases"] == ["postgresql:citizen_portal"]
    assert register["restored_files"] >= 4 and register["restored_bytes"] >= 300000 and register["databases"] == []
    # Timed from the drill's start: the register came back after the portal, on the same host.
    assert portal["achieved_seconds"] < register["achieved_seconds"]

    whole = summary["set"]
    assert whole["status"] == "pass" and whole["rto_met"] is True and whole["not_back"] == []
    assert whole["verdict"] == "pass"
    assert whole["services"] == ["citizen-portal", "bevolkingsregister"]
    assert whole["achieved_seconds"] == register["achieved_seconds"]
    assert whole["rebuilt_hosts"] == {"demo-drill-log1": "demo-log1", "demo-drill-app1": "demo-app1"}
    assert whole["restored_from"] == "backup server demo-backup1"

    # The card's workplace after the services, a run of its own: its one desk logged into by a real client.
    workplace = summary["workplace"]
    assert workplace["status"] == "pass" and workplace["rto_met"] is True and workplace["desks"] == 1, workplace
    assert [login["logged_in"] for login in workplace["logins"]] == [True], workplace
    assert workplace["verdict"] == "pass" and workplace["gateway"].startswith("demo-drill-"), workplace

    outcome, _workplace_run = summary["municipalities"]
    evidence = json.loads((ROOT / outcome["evidence_dir"] / "results.json").read_text())
    assert evidence["run"]["kind"] == "drill"
    # Each rebuilt host's own record first; the services on the app host; the set's on the first host.
    collector_host, app_host = summary["rebuilt_hosts"]
    assert evidence["drill"]["demo-drill-log1"] == [collector_host, whole]
    assert evidence["drill"]["demo-drill-app1"] == [app_host, portal, register]
    assert collector_host["role"] == "log collector" and collector_host["stands_in_for"] == "demo-log1"
    assert collector_host["log_collector_seconds"] > 0 and collector_host["logs_to"] is None
    assert app_host["role"] == "host of citizen-portal, bevolkingsregister" and app_host["status"] == "pass"
    assert collector_host["verdict"] == app_host["verdict"] == "pass"
    assert app_host["logs_to"] == portal["logs_to"] and app_host["logs_verified_seconds"] > 0
    # The collector was back before the app host was re-applied, and both before the first service.
    assert collector_host["ready_seconds"] < app_host["ready_seconds"] < portal["achieved_seconds"]
    assert set(portal["steps_seconds"]) == {"restore", "supplier_role", "load_dumps", "health"}
    # The baseline on both rebuilt hosts, the collector's first.
    for host in ("demo-drill-log1", "demo-drill-app1"):
        assert any(r["host"] == host and r["status"] in ("pass", "fixed") for r in evidence["results"]), host
    report = (ROOT / outcome["evidence_dir"] / "report.html").read_text()
    drills = report[report.index('id="drill"') :]
    assert "tier-1 services" in drills and "demo-drill-log1 (10.231.10." in drills

    # The lab's own collector never heard of the rebuilt app host; the rebuilt hosts are gone.
    assert podman("exec", "demo-log1", "sh", "-c", "ls /var/log/remote/demo-drill-app1 2>&1 || true").startswith("ls:")
    assert podman("ps", "-a", "-q", "--filter", "name=demo-drill-") == ""
    running = podman("ps", "--format", "{{.Names}}").split()
    assert {"demo-app1", "demo-log1", "demo-backup1"} <= set(running)


@pytest.mark.lab
@pytest.mark.slow
def test_the_drill_runs_the_plans_steps_across_hosts_and_a_service_on_every_one_of_its_hosts(backed_up_demo, tmp_path):
    _ensure_backup_with_the_portals_dump(backed_up_demo)
    # The other hosts' data, backed up as site.yml would (the baseline first); the collector's
    # host backs up /srv too, where the order card places services.
    for host, seed in SEEDS.items():
        podman("exec", host, "sh", "-c", seed)
    hosts = ",".join(SEEDS)
    _playbook(backed_up_demo, hosts, {}, "baseline.yml")
    _playbook(backed_up_demo, hosts, {"backup_agent_host_kind": "default"}, "backup.yml")
    for host in SEEDS:
        fact = _wait_for_backup(host)
        assert fact["last_run"]["status"] == "ok", (host, fact)
    order_fleet = tmp_path / "fleet"
    write_fleet(DEMO, order_fleet)

    result = landingzone(
        order_fleet, "--json", "--vault-password-file", str(LAB_VAULT_PASSWORD), "drill", "demo", "--all"
    )
    assert result.stdout.startswith("{"), result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    records = {record["service"]: record for record in summary["drills"]}
    for record in records.values():
        assert record["status"] == "pass" and record["rto_met"] is True and record["verdict"] == "pass", record

    # The plan's steps, across the hosts: the meldingen on the collector's host, rebuilt first, waited
    # for the portal on the app host, which waited for the website on the host it needs.
    whole = summary["set"]
    assert whole["services"] == ["bevolkingsregister", "website", "citizen-portal", "meldingen"]
    seconds = [records[name]["achieved_seconds"] for name in whole["services"]]
    assert seconds == sorted(seconds) and len(set(seconds)) == 4, seconds
    assert whole["status"] == "pass" and whole["achieved_seconds"] == records["meldingen"]["achieved_seconds"]
    assert whole["rebuilt_hosts"] == {
        "demo-drill-log1": "demo-log1", "demo-drill-app2": "demo-app2", "demo-drill-app1": "demo-app1",
    }  # fmt: skip
    assert records["meldingen"]["rebuilt_host"] == "demo-drill-log1"
    assert records["meldingen"]["restored_bytes"] == files_bytes("demo-log1", "/srv/meldingen")

    # Needed only through depends_on, demo-app2 came back with what it runs: the website, from its backup.
    website = records["website"]
    assert website["rebuilt_host"] == "demo-drill-app2" and website["source_host"] == "demo-app2"
    assert website["restored_bytes"] == files_bytes("demo-app2", "/srv/website") > 0
    app2 = next(host for host in summary["rebuilt_hosts"] if host["rebuilt"] == "demo-drill-app2")
    assert app2["role"] == "host of website" and app2["status"] == "pass", app2

    # The register on both its hosts, each from the backup of the host it stands in for, health
    # checked on each; its time is to the later of the two.
    register = records["bevolkingsregister"]
    on_hosts = {entry["rebuilt_host"]: entry for entry in register["on_hosts"]}
    assert set(on_hosts) == {"demo-drill-app1", "demo-drill-log1"}
    for rebuilt, source in (("demo-drill-app1", "demo-app1"), ("demo-drill-log1", "demo-log1")):
        entry = on_hosts[rebuilt]
        assert entry["status"] == "pass" and entry["source_host"] == source, entry
        assert entry["restored_bytes"] == files_bytes(source, REGISTER), entry
    assert on_hosts["demo-drill-app1"]["snapshot"]["id"] != on_hosts["demo-drill-log1"]["snapshot"]["id"]
    assert register["achieved_seconds"] == max(entry["achieved_seconds"] for entry in on_hosts.values())

    # The services' run first; the card's workplace follows in a run of its own.
    outcome = summary["municipalities"][0]
    evidence = json.loads((ROOT / outcome["evidence_dir"] / "results.json").read_text())
    # Each service's record on its first rebuilt host.
    on_log1, on_app1 = evidence["drill"]["demo-drill-log1"], evidence["drill"]["demo-drill-app1"]
    assert [record.get("service") for record in on_log1][1:] == ["meldingen", None]
    assert [record.get("service") for record in on_app1][1:] == ["bevolkingsregister", "citizen-portal"]
    assert podman("ps", "-a", "-q", "--filter", "name=demo-drill-") == ""
