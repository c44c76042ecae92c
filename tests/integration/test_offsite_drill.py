"""The worst case, on a copy of the demo lab with its offsite copy on: the backup server is lost
too, and the services come back from the offsite Object Lock copy alone, as of a time before the
incident, with only the fleet repository, the vault password and the recovery credential.

`lab up` starts the lab's S3 endpoint (moto, IAM checks on) and makes the bucket with Object
Lock; the backup server's offsite job, started once as its timer would, copies every client's
repository into it. `make test` checks that, and reads the register's repository back out of the
bucket with the recovery credential and restores it, verified file by file against its manifest.

The slow proof goes on to the incident: the app server gets the portal and is backed up and
copied; after the chosen time its register changes and is backed up and copied again, the
bucket's current `config` of its repository is overwritten with the backup server's own keys
(which may write, never delete), and the backup server is destroyed. A drill from the offsite
copy as of the chosen time must then bring the register and the portal back, from the backup
before that time, verified against its manifest, whatever the bucket's current objects say."""

import datetime
import ipaddress
import json

import pytest
from lab_cli import ROOT, podman
from offsite_lab import OffsiteLab, a_moment_between, files_bytes
from test_restore_drill import REGISTER, SEED, _wait_for_backup

MUNICIPALITY = "offdemo"
SUBNET_OCTET = 79
NO_DUMPS = {"backup_agent_databases": [], "backup_agent_autodetect_databases": False}
SCRATCH = "/var/tmp/offsite-smoke"


@pytest.fixture(scope="module")
def copied(tmp_path_factory):
    """The lab with its S3 endpoint, the register backed up and copied offsite once."""
    lab = OffsiteLab(tmp_path_factory.mktemp("fleet"), MUNICIPALITY, SUBNET_OCTET)
    try:
        started = lab.up()
        podman("exec", lab.app, "sh", "-c", SEED)
        lab.playbook(f"{lab.backup_server},{lab.app}", NO_DUMPS, "backup.yml")
        fact = _wait_for_backup(lab.app)
        assert fact["last_run"]["status"] == "ok", fact
        lab.copy_offsite()
        yield {"lab": lab, "started": started, "repositories": lab.repositories()}
    finally:
        lab.down()


@pytest.mark.lab
def test_lab_up_provides_the_s3_endpoint_and_the_offsite_job_fills_the_bucket(copied):
    lab = copied["lab"]
    assert f"S3 endpoint {lab.endpoint} ({MUNICIPALITY}-s3) with the bucket {lab.bucket}" in copied["started"]
    # Every client of the backup server, each lab host, has its repository in the bucket.
    hosts = {f"{MUNICIPALITY}-{host}" for host in ("app1", "app2", "backup1", "log1", "vpn1")}
    assert copied["repositories"] == hosts
    # Its IPv6 address is given by the lab, never left to podman, whose next one may be a host's.
    networks = json.loads(podman("inspect", f"{MUNICIPALITY}-s3"))[0]["NetworkSettings"]["Networks"]
    address6 = ipaddress.ip_address(networks[f"lz-{MUNICIPALITY}"]["GlobalIPv6Address"])
    assert address6 == ipaddress.ip_address(f"fd00:231:{SUBNET_OCTET}::ffff:ffff:ffff:fffe")


@pytest.mark.lab
def test_the_recovery_credential_reads_the_copy_back_and_it_restores_byte_for_byte(copied):
    lab = copied["lab"]
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    copy = lab.module(lab.app, "restic_offsite_as_of", {
        "endpoint": lab.endpoint, "bucket": lab.bucket, "client": lab.app, "as_of": now, "dest": SCRATCH,
        "access_key_id": "{{ landingzone_offsite_recovery.access_key_id }}",
        "secret_access_key": "{{ landingzone_offsite_recovery.secret_access_key }}",
    })  # fmt: skip
    assert copy.get("failed") is not True and copy["objects"] > 0, copy
    try:
        restored = lab.module(lab.app, "restic_restore_verify", {
            "repository": SCRATCH, "password": "{{ backup_agent_repository_password }}", "host": lab.app,
            "paths": [REGISTER],
        })  # fmt: skip
    finally:
        podman("exec", lab.app, "rm", "-rf", SCRATCH)
    assert restored["verified"] is True and restored["mismatch_count"] == 0, restored
    assert restored["checked"] >= 4 and restored["restored_bytes"] == files_bytes(lab.app, REGISTER)


@pytest.fixture(scope="module")
def worst_case(copied):
    """The incident after the chosen time, and the backup server gone."""
    lab = copied["lab"]
    # As site.yml would: the baseline and the portal on the app server, and its backups with the portal's dump.
    lab.playbook(lab.app, {}, "baseline.yml", "citizen_portal.yml")
    lab.playbook(f"{lab.backup_server},{lab.app}", {}, "backup.yml")
    before = _wait_for_backup(lab.app)
    assert before["last_snapshot"]["databases"] == ["postgresql:citizen_portal"], before
    before_bytes = files_bytes(lab.app, REGISTER)
    lab.copy_offsite()
    as_of = a_moment_between()
    # The incident: the register changes (one file grows, one is new), is backed up and copied.
    podman("exec", lab.app, "sh", "-c", f"printf 'ransom;note\\n' >> {REGISTER}/personen.csv; "
                                        f"head -c 5000 /dev/urandom > {REGISTER}/akten/nieuw.pdf")  # fmt: skip
    after = _wait_for_backup(lab.app)
    assert after["last_run"]["status"] == "ok" and after["last_snapshot"]["id"] != before["last_snapshot"]["id"]
    lab.copy_offsite()
    lab.tamper(f"{lab.app}/config")
    lab.destroy_backup_server()
    return {
        "lab": lab, "as_of": as_of, "before": before, "after": after, "before_bytes": before_bytes,
        "after_bytes": files_bytes(lab.app, REGISTER),
    }  # fmt: skip


def _drill_as_of(worst_case, service):
    lab, as_of = worst_case["lab"], worst_case["as_of"]
    stamp = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    result, summary = lab.drill("--service", service, "--from-offsite", "--as-of", stamp)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert summary["source"] == {
        "kind": "offsite", "endpoint": lab.endpoint, "bucket": lab.bucket, "region": "us-east-1", "as_of": stamp,
    }  # fmt: skip
    (record,) = summary["drills"]
    assert record["service"] == service and record["status"] == "pass" and record["rto_met"] is True, record
    assert record["source"]["kind"] == "offsite" and record["source"]["as_of"] == stamp
    assert record["source"]["objects"] > 0 and record["source"]["chosen_by"] == "arrival", record["source"]
    assert record["restored_from"] == f"offsite copy s3 {lab.bucket} at {lab.endpoint} as of {stamp}"
    # The backup before the chosen time, not the one after the change.
    restored_time = datetime.datetime.fromisoformat(record["snapshot"]["time"])
    assert restored_time < as_of < datetime.datetime.fromisoformat(worst_case["after"]["last_snapshot"]["time"])
    # The evidence and the report say where the restore came from.
    (outcome,) = summary["municipalities"]
    evidence = json.loads((ROOT / outcome["evidence_dir"] / "results.json").read_text())
    (target,) = evidence["drill"]
    assert evidence["drill"][target][0]["source"] == record["source"]
    assert record["restored_from"] in (ROOT / outcome["evidence_dir"] / "report.html").read_text()
    assert podman("ps", "-a", "-q", "--filter", f"name={target}") == ""
    return record


@pytest.mark.lab
@pytest.mark.slow
def test_the_register_comes_back_from_the_offsite_copy_as_of_before_the_change(worst_case):
    record = _drill_as_of(worst_case, "bevolkingsregister")
    # Verified byte for byte against the first backup's manifest: its files, not the change.
    assert worst_case["before_bytes"] != worst_case["after_bytes"]
    assert record["restored_bytes"] == worst_case["before_bytes"] and record["restored_files"] >= 4, record


@pytest.mark.lab
@pytest.mark.slow
def test_the_portal_comes_back_from_the_offsite_copy_without_the_backup_server(worst_case):
    record = _drill_as_of(worst_case, "citizen-portal")
    # Its database from the dump in that backup, and the contract's health check passed on it.
    assert record["databases"] == ["postgresql:citizen_portal"] and record["restored_files"] >= 1, record
    assert record["health_check"] == "citizen_portal contract: /usr/local/sbin/citizen-portal-healthcheck"


@pytest.mark.lab
@pytest.mark.slow
def test_the_whole_tier_1_set_comes_back_from_the_offsite_copy_as_of_before_the_change(worst_case):
    """`--all --from-offsite`: the log collector and the app host rebuilt, both tier-1 services
    back on the rebuilt app host from the bucket alone, the register as it was before the change;
    the app host's repository copied out of the bucket once, for both."""
    lab, as_of = worst_case["lab"], worst_case["as_of"]
    stamp = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    result, summary = lab.drill("--all", "--from-offsite", "--as-of", stamp)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    restored_from = f"offsite copy s3 {lab.bucket} at {lab.endpoint} as of {stamp}"
    assert summary["source"]["kind"] == "offsite" and summary["source"]["as_of"] == stamp

    app, collector = f"{MUNICIPALITY}-drill-app1", f"{MUNICIPALITY}-drill-log1"
    assert [record["service"] for record in summary["drills"]] == ["citizen-portal", "bevolkingsregister"]
    for record in summary["drills"]:
        assert record["status"] == "pass" and record["rto_met"] is True, record
        assert record["rebuilt_host"] == app and record["source_host"] == lab.app
        assert record["restored_from"] == restored_from and record["source"]["objects"] > 0, record
        # Chosen by the backup server's arrival index that travelled with the copy, not by the client's claim.
        assert record["source"]["chosen_by"] == "arrival", record
        assert datetime.datetime.fromisoformat(record["source"]["arrival"]) < as_of, record
        # One copy out of the bucket for the host, made by its first service's restore.
        assert record["source"]["copied_by"] == "citizen-portal", record
        assert record["logs_to"].startswith(f"{collector} (10.231.{SUBNET_OCTET}."), record
        # The backup before the chosen time, not the one after the change.
        assert datetime.datetime.fromisoformat(record["snapshot"]["time"]) < as_of, record
    portal, register = summary["drills"]
    assert portal["databases"] == ["postgresql:citizen_portal"]
    assert portal["snapshot"]["id"] == register["snapshot"]["id"]
    assert 0 < portal["source"]["copy_seconds"] <= portal["steps_seconds"]["restore"], portal
    assert register["source"] == portal["source"]
    # Byte for byte as before the change, though the bucket's current config is junk.
    assert worst_case["before_bytes"] != worst_case["after_bytes"]
    assert register["restored_bytes"] == worst_case["before_bytes"] and register["restored_files"] >= 4, register

    whole = summary["set"]
    assert whole["status"] == "pass" and whole["rto_met"] is True and whole["not_back"] == [], whole
    assert whole["achieved_seconds"] == register["achieved_seconds"]
    assert whole["rebuilt_hosts"] == {collector: f"{MUNICIPALITY}-log1", app: lab.app}
    assert whole["restored_from"] == restored_from
    # The services' run first (a card with a workplace has its drill follow in a run of its own).
    outcome = summary["municipalities"][0]
    evidence = json.loads((ROOT / outcome["evidence_dir"] / "results.json").read_text())
    collector_host, app_host = summary["rebuilt_hosts"]
    assert evidence["drill"][app] == [app_host, portal, register]
    assert collector_host["ready_seconds"] < app_host["ready_seconds"] < portal["achieved_seconds"]
    assert restored_from in (ROOT / outcome["evidence_dir"] / "report.html").read_text()
    # The backup server stayed gone; the rebuilt hosts are gone too.
    assert podman("ps", "-a", "-q", "--filter", f"name=^{lab.backup_server}$") == ""
    assert podman("ps", "-a", "-q", "--filter", f"name={MUNICIPALITY}-drill-") == ""
