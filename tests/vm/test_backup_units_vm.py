"""The backup units under their sandboxes on a real kernel: the smoke make test runs.

A container runs units without their namespaces, so a unit that its own ProtectSystem=, its
InaccessiblePaths= or its PrivateNetwork= would break passes there. Here the units run on the lab
VM, under Debian's kernel: the backup server (REST server and keeper) and its agent (the server
backs itself up), each unit file rendered by its role's own template on the controller and put in
place in one go, with the accounts, directories and modes the backup_server role gives them: under
TCG, Ansible's own round trips would take the VM ten minutes (test_backup_roles_vm.py applies the
roles themselves, in make test-slow). One difference with the roles: the REST users' hashes are
apr1, not bcrypt, which costs seconds per request under TCG; the sandbox does not see it.
The REST server runs in its AppArmor profile too, rendered and loaded as the role does where
AppArmor runs: a backup and a restore pass through it, and its reading a repository password is
refused and logged in the profile's name.

The VM is the one the baseline smoke shares (conftest.py: hardened_vm): the kernel controls of the
baseline applied and the VM rebooted, so the units prove their sandboxes on a hardened kernel.
"""

from __future__ import annotations

import secrets
import subprocess

import pytest
import yaml
from apparmor_vm import assert_denied_and_logged, assert_enforced, denials, record_aa_status
from backup_vm import (
    REST_PROFILE,
    assert_local_job_confined,
    assert_rest_account_reads_no_secret,
    assert_rest_server_confined,
    assert_restored_byte_for_byte,
    downloaded_debs,
    install_probe,
    make_pki,
    put_in_place,
    run_unit,
    sh,
)
from lab_vm import HOST, ROOT
from role_render import render, value

pytestmark = [pytest.mark.vm, pytest.mark.vm_smoke]
KEEPER = ROOT / "roles" / "backup_server" / "files" / "landingzone-backup-keeper"
AGENT = ROOT / "roles" / "backup_agent" / "files" / "landingzone-backup"
MODULE_UTILS = ROOT / "plugins" / "module_utils"
DATA = "/var/lib/lz-vm-data"

# What the backup_server role does on a host, for the files put in place below (tasks/main.yml).
SETUP = f"""
set -e
dpkg -i /var/cache/lz-backup-debs/*.deb >/dev/null
apparmor_parser -r /etc/apparmor.d/landingzone-restic-rest
groupadd --system restic-data
useradd --system --user-group --shell /usr/sbin/nologin --home-dir /var/lib/restic-rest --create-home \\
  --groups restic-data restic-rest
useradd --system --user-group --shell /usr/sbin/nologin --home-dir /var/lib/landingzone-backup-server \\
  --create-home --groups restic-data restic-keeper
chown root:restic-rest /etc/landingzone-backup-server && chmod 0750 /etc/landingzone-backup-server
chgrp restic-rest /etc/landingzone-backup-server/* && chmod 0640 /etc/landingzone-backup-server/*
chown -R root:restic-keeper /etc/landingzone-backup-keeper && chmod 0750 /etc/landingzone-backup-keeper \\
  /etc/landingzone-backup-keeper/passwords && chmod 0640 /etc/landingzone-backup-keeper/keeper.json \\
  /etc/landingzone-backup-keeper/passwords/*
install -d -o restic-keeper -g restic-keeper -m 0700 /var/lib/landingzone-backup-server \\
  /var/lib/landingzone-backup-server/arrivals
install -d -o restic-rest -g restic-data -m 2770 /srv/restic
RESTIC_PASSWORD_FILE=/etc/landingzone-backup-keeper/passwords/{HOST} HOME=/var/lib/landingzone-backup-server \\
  runuser -u restic-keeper -- restic --no-cache -q -r /srv/restic/{HOST} init
chgrp -R restic-data /srv/restic/{HOST}
find /srv/restic/{HOST} -type d -exec chmod g+rwxs {{}} + && find /srv/restic/{HOST} -type f -exec chmod g+r {{}} +
install -d -m 0700 /var/lib/landingzone-backup /var/cache/restic
install -d -m 0755 /etc/ansible/facts.d
chmod 0700 /etc/landingzone-backup
chmod 0600 /etc/landingzone-backup/repository.* /etc/landingzone-backup/config.json
echo "127.0.0.1 {HOST}" >> /etc/hosts
mkdir -p {DATA} && head -c 200000 /dev/urandom > {DATA}/scan.bin
systemctl daemon-reload
systemctl start landingzone-restic-rest.service
for i in $(seq 100); do ss -ltn | grep -q ':8443 ' && break; sleep 0.3; done
"""


def apr1(password: str) -> str:
    done = subprocess.run(["openssl", "passwd", "-apr1", password], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def agent_config(**variables) -> str:
    tasks = yaml.safe_load((ROOT / "roles" / "backup_agent" / "tasks" / "main.yml").read_text())
    task = next(t for t in tasks if t["name"] == "Describe what to back up")
    return value("backup_agent", "backup_agent_run_config | to_nice_json", task["vars"], **variables) + "\n"


def read(path, mode=0o644):
    return path.read_bytes(), mode


def files(pki, rest, repository) -> dict[str, tuple[bytes, int]]:
    """{path on the VM: (content, mode)}: everything the two roles would install."""
    clients = [{"name": HOST, "rest_password": rest, "repository_password": repository}]
    server = {"backup_server_clients": clients}
    agent = {
        "inventory_hostname": HOST,
        # A backup server backs up its configuration, not the repositories it holds.
        "group_names": ["backup_servers"],
        "backup_agent_server_url": f"https://{HOST}:8443",
        "backup_agent_rest_password": rest,
        "backup_agent_repository_password": repository,
        "backup_agent_rpo_minutes": 60,
        "backup_agent_extra_paths": [DATA],
    }
    # As the role writes it where AppArmor runs: the unit names the profile the role loaded.
    units = {
        "landingzone-restic-rest.service": render(
            "backup_server", "landingzone-restic-rest.service.j2", backup_server_apparmor={"enforcing": True}, **server
        )
    }
    for job in value("backup_server", "backup_server_jobs", **server):
        units[f"landingzone-backup-{job['name']}.service"] = render(
            "backup_server", "job.service.j2", backup_server_job=job, **server
        )
    for name in ("landingzone-backup.service", "landingzone-backup-failed.service"):
        units[name] = render("backup_agent", f"{name}.j2", **agent)
    found = {f"/etc/systemd/system/{name}": (text.encode(), 0o644) for name, text in units.items()}
    library = {"arrivals.py": "_restic_arrivals.py", "restic_runner.py": "_restic.py"}
    found.update({f"/usr/local/lib/landingzone-backup-server/{k}": read(MODULE_UTILS / v) for k, v in library.items()})
    found["/usr/local/lib/landingzone-backup/manifest.py"] = read(MODULE_UTILS / "_restic_manifest.py")
    found["/etc/apparmor.d/landingzone-restic-rest"] = (
        render("backup_server", "apparmor-landingzone-restic-rest.j2", **server).encode(),
        0o644,
    )
    found["/usr/local/sbin/landingzone-backup-keeper"] = read(KEEPER, 0o755)
    found["/usr/local/sbin/landingzone-backup"] = read(AGENT, 0o755)
    server_files = {
        "ca.crt": (pki["ca.crt"], 0o644),
        "server.crt": (pki[f"{HOST}.crt"], 0o644),
        "server.key": (pki[f"{HOST}.key"], 0o640),
        "rclone.conf": ("", 0o644),
        "htpasswd": (f"{HOST}:{apr1(rest)}\n", 0o640),
    }
    keeper_files = {
        "keeper.json": (render("backup_server", "keeper.json.j2", **server), 0o640),
        f"passwords/{HOST}": (repository, 0o640),
    }
    agent_files = {
        "ca.crt": (pki["ca.crt"], 0o644),
        "repository.password": (repository, 0o600),
        "repository.env": (render("backup_agent", "repository.env.j2", **agent), 0o600),
        "config.json": (agent_config(**agent), 0o600),
    }
    for directory, contents in (
        ("/etc/landingzone-backup-server", server_files),
        ("/etc/landingzone-backup-keeper", keeper_files),
        ("/etc/landingzone-backup", agent_files),
    ):
        found.update({f"{directory}/{name}": (text.encode(), mode) for name, (text, mode) in contents.items()})
    for deb in sorted(downloaded_debs().glob("*.deb")):
        found[f"/var/cache/lz-backup-debs/{deb.name}"] = (deb.read_bytes(), 0o644)
    return found


@pytest.fixture(scope="module")
def backup_vm(hardened_vm):
    pki = make_pki(hardened_vm.workdir / "backup-pki", HOST)
    put_in_place(hardened_vm, files(pki, secrets.token_urlsafe(24), secrets.token_urlsafe(24)))
    sh(hardened_vm, SETUP, timeout=600)
    install_probe(hardened_vm)
    return hardened_vm


def test_the_agents_backup_runs_under_its_sandbox_through_the_rest_servers(backup_vm):
    assert run_unit(backup_vm, "landingzone-backup.service") == "success"
    fact = sh(backup_vm, "cat /etc/ansible/facts.d/backup.fact")
    assert '"status": "ok"' in fact, fact


def test_the_rest_server_runs_confined(backup_vm):
    assert_rest_server_confined(backup_vm)


def test_a_restore_through_the_rest_server_in_its_apparmor_profile_is_byte_for_byte(backup_vm):
    assert run_unit(backup_vm, "landingzone-backup.service") == "success"
    assert_restored_byte_for_byte(backup_vm, f"{DATA}/scan.bin")


def test_the_rest_server_runs_in_its_apparmor_profile_and_served_without_a_denial(backup_vm):
    status = record_aa_status(backup_vm, "backup-smoke")
    assert_enforced(backup_vm, status, REST_PROFILE, "landingzone-restic-rest.service")
    # The backups of the tests before this one went through it: the profile let it do all it needed.
    assert denials(backup_vm, REST_PROFILE) == []


def test_the_rest_servers_profile_refuses_a_repository_password_and_logs_it(backup_vm):
    password = f"/etc/landingzone-backup-keeper/passwords/{HOST}"
    # rclone itself, in the server's profile, told to read the file as its configuration: one open of it.
    assert_denied_and_logged(backup_vm, REST_PROFILE, f"rclone --config {password} listremotes", password)


def test_the_rest_servers_account_reads_no_secret_of_the_keepers(backup_vm):
    assert run_unit(backup_vm, "landingzone-backup-index.service") == "success"
    assert_rest_account_reads_no_secret(backup_vm, HOST)


def test_the_keepers_index_and_retention_run_under_their_sandbox(backup_vm):
    assert run_unit(backup_vm, "landingzone-backup-index.service") == "success"
    assert run_unit(backup_vm, "landingzone-backup-retention.service") == "success"
    owner = sh(backup_vm, f"stat -c %U /var/lib/landingzone-backup-server/arrivals/{HOST}.json").strip()
    assert owner == "restic-keeper"
    assert '"measured": true' in sh(backup_vm, f"cat /var/lib/landingzone-backup-server/arrivals/{HOST}.json")


@pytest.mark.parametrize("unit", ["landingzone-backup-index.service", "landingzone-backup-verify.service"])
def test_the_keepers_local_jobs_reach_no_network_and_write_no_system_file(backup_vm, unit):
    assert_local_job_confined(backup_vm, unit)
