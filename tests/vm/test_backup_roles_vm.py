"""The backup roles themselves applied to the lab VM, and every unit run under its sandbox on a
real kernel: the full proof make test-slow runs (test_backup_units_vm.py is the smoke make test
runs). Under TCG the apply alone takes about ten minutes. AppArmor's tools come with the packages,
as the baseline installs them on a host, so the role loads the REST server's profile itself.

The offsite copy goes to a restic REST server on the VM itself: the VM reaches nothing outside,
and the S3 side of the offsite copy is proven against moto (tests/unit/backup).
"""

from __future__ import annotations

import json
import secrets

import pytest
from apparmor_vm import assert_denied_and_logged, assert_enforced, denials, record_aa_status
from backup_vm import (
    DATA_FILE,
    REST_PROFILE,
    assert_local_job_confined,
    assert_rest_account_reads_no_secret,
    assert_rest_server_confined,
    assert_restored_byte_for_byte,
    downloaded_debs,
    install_probe,
    make_pki,
    probe,
    run_unit,
    sh,
)
from lab_vm import HOST, PLAYBOOKS

pytestmark = [pytest.mark.vm, pytest.mark.slow]
CONFINEMENT_TASK = (
    "cyberveilig.landingzone.backup_server : "
    "Record whether the REST server runs in its AppArmor profile, in enforce mode"
)
OFFSITE_SETTINGS = """\
import json
path = "/etc/landingzone-backup-keeper/keeper.json"
config = json.load(open(path))
config["offsite"] = {"enabled": True, "repository_prefix": "rest:http://127.0.0.1:18443", "region": "unused",
                     "credentials_file": "/etc/landingzone-backup-keeper/offsite-keys.json"}
json.dump(config, open(path, "w"))
json.dump({"access_key_id": "unused", "secret_access_key": "unused"},
          open("/etc/landingzone-backup-keeper/offsite-keys.json", "w"))
"""


@pytest.fixture(scope="module")
def applied(lab_vm):
    pki = make_pki(lab_vm.workdir / "pki", HOST)
    rest, repository = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    settings = {
        "backup_vm_debs": str(downloaded_debs()),
        "backup_server_ca_cert": pki["ca.crt"],
        "backup_server_tls_cert": pki[f"{HOST}.crt"],
        "backup_server_tls_key": pki[f"{HOST}.key"],
        "backup_server_clients": [{"name": HOST, "rest_password": rest, "repository_password": repository}],
        "backup_agent_server_url": f"https://{HOST}:8443",
        "backup_agent_ca_cert": pki["ca.crt"],
        "backup_agent_rest_password": rest,
        "backup_agent_repository_password": repository,
        "backup_agent_extra_paths": ["/var/lib/lz-vm-data"],
        # A backup server backs up its configuration, not the repositories it holds.
        "backup_agent_host_kind": "backup_servers",
    }
    sh(lab_vm, f"mkdir -p /var/lib/lz-vm-data && head -c 200000 /dev/urandom > {DATA_FILE}")
    # The apply ends with the agent's first backup: its unit, through the REST server's, both sandboxed.
    return lab_vm.playbook(PLAYBOOKS / "backup_roles.yml", settings, timeout=1800)


@pytest.fixture(scope="module")
def backup_vm(lab_vm, applied):
    install_probe(lab_vm)
    return lab_vm


def test_the_first_backup_ran_under_the_agents_sandbox(backup_vm):
    fact = json.loads(sh(backup_vm, "cat /etc/ansible/facts.d/backup.fact"))
    assert fact["last_run"]["status"] == "ok" and fact["last_snapshot"]["files"] >= 1, fact


def test_the_rest_server_runs_confined(backup_vm):
    assert_rest_server_confined(backup_vm)


def test_the_role_loaded_the_rest_servers_apparmor_profile_and_the_server_runs_in_it(backup_vm):
    status = record_aa_status(backup_vm, "backup-roles")
    assert_enforced(backup_vm, status, REST_PROFILE, "landingzone-restic-rest.service")
    assert_restored_byte_for_byte(backup_vm, DATA_FILE)
    # The first backup and this restore went through it: the profile let it do all it needed.
    assert denials(backup_vm, REST_PROFILE) == []


def test_the_roles_evidence_records_the_rest_server_confined_by_its_profile(applied):
    (result,) = applied.task_results(CONFINEMENT_TASK)
    assert result["landingzone_evidence"]["section"] == "confinement"
    record = result["landingzone_evidence"]["record"]
    assert (record["verdict"], record["reason"], record["profile_mode"]) == ("pass", "", "enforce"), record
    assert [(p["name"], p["label"]) for p in record["processes"]] == [("rclone", f"{REST_PROFILE} (enforce)")]


def test_the_rest_servers_profile_refuses_a_repository_password_and_logs_it(backup_vm):
    password = f"/etc/landingzone-backup-keeper/passwords/{HOST}"
    # rclone itself, in the server's profile, told to read the file as its configuration: one open of it.
    assert_denied_and_logged(backup_vm, REST_PROFILE, f"rclone --config {password} listremotes", password)


def test_every_keeper_job_runs_under_its_sandbox(backup_vm):
    for job in ("index", "verify", "retention"):
        assert run_unit(backup_vm, f"landingzone-backup-{job}.service") == "success", job
    index = json.loads(sh(backup_vm, f"cat /var/lib/landingzone-backup-server/arrivals/{HOST}.json"))
    assert index["checks"][-1]["ok"] is True and all(e["measured"] for e in index["snapshots"].values())


def test_the_rest_servers_account_reads_no_secret_of_the_keepers(backup_vm):
    assert_rest_account_reads_no_secret(backup_vm, HOST)


@pytest.mark.parametrize("job", ["index", "verify", "retention"])
def test_the_keepers_local_jobs_reach_no_network_and_write_no_system_file(backup_vm, job):
    assert_local_job_confined(backup_vm, f"landingzone-backup-{job}.service")


def test_the_offsite_copy_runs_under_its_sandbox_and_reaches_the_network(backup_vm):
    seen = probe(backup_vm, "landingzone-backup-offsite.service")
    assert seen["connect to the REST server"] == "yes" and seen["write /usr"].startswith("no"), seen
    sh(
        backup_vm,
        "mkdir -p /srv/lz-offsite && systemd-run --unit lz-offsite-target rclone serve restic "
        "--addr 127.0.0.1:18443 /srv/lz-offsite && sleep 3",
    )
    password = f"/etc/landingzone-backup-keeper/passwords/{HOST}"
    offsite = f"rest:http://127.0.0.1:18443/{HOST}/"
    keys = "/etc/landingzone-backup-keeper/offsite-keys.json"
    try:
        sh(
            backup_vm,
            f"RESTIC_PASSWORD_FILE={password} RESTIC_FROM_PASSWORD_FILE={password} restic --no-cache "
            f"-r {offsite} init --from-repo /srv/restic/{HOST} --copy-chunker-params",
        )
        sh(backup_vm, f"python3 - <<'EOF'\n{OFFSITE_SETTINGS}EOF\nchgrp restic-keeper {keys} && chmod 0640 {keys}")
        assert run_unit(backup_vm, "landingzone-backup-offsite.service") == "success"
        copied = sh(backup_vm, f"RESTIC_PASSWORD_FILE={password} restic --no-cache -r {offsite} snapshots --json")
        assert {snapshot["hostname"] for snapshot in json.loads(copied)} == {HOST, "landingzone-arrival-index"}
    finally:
        sh(backup_vm, "systemctl stop lz-offsite-target || true")
