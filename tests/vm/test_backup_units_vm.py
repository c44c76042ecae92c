"""The backup roles' units work under their sandbox on a real kernel.

A container runs units without their namespaces, so a unit that its own ProtectSystem=, its
InaccessiblePaths= or its PrivateNetwork= would break passes there. Here the backup server and
its agent (the server backs itself up) run on the lab VM, under Debian's kernel: each unit does
its work under its sandbox, and the sandbox is in force (a unit's process is in its own mount
namespace, with no new privileges and a seccomp filter; what a unit must not reach, it cannot).

make test runs the smoke (vm_smoke): the first backup through the REST server, the keeper's
index, the REST server's sandbox, its account reading no secret, and the keeper's local jobs
without a network. make test-slow adds the rest (slow): verification, retention and the offsite
copy under their sandboxes.
"""

from __future__ import annotations

import json
import secrets
import shlex
import subprocess
import sys
import textwrap

import pytest
from lab_vm import HOST, PLAYBOOKS, ROOT

pytestmark = [pytest.mark.vm]
SMOKE = pytest.mark.vm_smoke
DEBS = ROOT / ".cache" / "backup-vm-debs"
# What the roles install and the VM (which reaches no mirror) lacks: restic, rclone and the
# htpasswd module's bcrypt support, with their dependencies.
PACKAGES = ("restic", "rclone", "python3-passlib", "python3-pkg-resources", "python3-bcrypt", "python3-cffi-backend")
KEEPER_SECRETS = (
    f"/etc/landingzone-backup-keeper/passwords/{HOST}",
    "/etc/landingzone-backup-keeper/keeper.json",
    f"/var/lib/landingzone-backup-server/arrivals/{HOST}.json",
)
PROBE = "/usr/local/sbin/lz-sandbox-probe"


def downloaded_debs():
    """The packages, downloaded once through apt on this machine into .cache/."""
    DEBS.mkdir(parents=True, exist_ok=True)
    missing = [name for name in PACKAGES if not list(DEBS.glob(f"{name}_*.deb"))]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=DEBS, check=True, capture_output=True, timeout=600)
    return DEBS


@pytest.fixture(scope="module")
def backup_vm(lab_vm):
    pki = lab_vm.workdir / "pki"
    subprocess.run(
        [sys.executable, "-m", "landingzone.pki", str(pki), HOST],
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        check=True,
        timeout=60,
    )
    rest, repository = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    settings = {
        "backup_vm_debs": str(downloaded_debs()),
        "backup_server_ca_cert": (pki / "ca.crt").read_text(),
        "backup_server_tls_cert": (pki / f"{HOST}.crt").read_text(),
        "backup_server_tls_key": (pki / f"{HOST}.key").read_text(),
        "backup_server_clients": [{"name": HOST, "rest_password": rest, "repository_password": repository}],
        "backup_agent_server_url": f"https://{HOST}:8443",
        "backup_agent_ca_cert": (pki / "ca.crt").read_text(),
        "backup_agent_rest_password": rest,
        "backup_agent_repository_password": repository,
        "backup_agent_extra_paths": ["/var/lib/lz-vm-data"],
    }
    sh(lab_vm, "mkdir -p /var/lib/lz-vm-data && head -c 200000 /dev/urandom > /var/lib/lz-vm-data/scan.bin")
    # The apply ends with the agent's first backup: its unit, through the REST server's, both sandboxed.
    lab_vm.playbook(PLAYBOOKS / "backup_units.yml", settings, timeout=1500)
    sh(lab_vm, f"cat > {PROBE} <<'EOF'\n{PROBE_SCRIPT}EOF\nchmod 0755 {PROBE}")
    return lab_vm


PROBE_SCRIPT = textwrap.dedent(
    """\
    #!/usr/bin/python3
    # Started in a unit's place, under the unit's own sandbox: what can it do?
    import json, os, socket, sys
    seen = {}
    def attempt(name, action):
        try:
            action()
            seen[name] = "yes"
        except OSError as exc:
            seen[name] = f"no ({exc.strerror})"
    attempt("write /usr", lambda: open("/usr/lz-probe", "w").close())
    attempt("read the keeper's passwords", lambda: os.listdir("/etc/landingzone-backup-keeper/passwords"))
    attempt("connect to the REST server", lambda: socket.create_connection(("127.0.0.1", 8443), 3).close())
    attempt("open an Internet socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).close())
    print("LZPROBE " + json.dumps(seen), flush=True)
    """
)


def sh(vm, command: str, timeout: float = 300) -> str:
    return vm.ssh(f"sudo sh -c {shlex.quote(command)}", timeout=timeout)


def run_unit(vm, unit: str) -> str:
    """Start a oneshot unit, wait for it, and say how it ended."""
    return sh(vm, f"systemctl start {unit}; systemctl show -p Result --value {unit}", timeout=900).strip()


def probe(vm, unit: str) -> dict:
    """Run the probe in ``unit``'s place (its sandbox kept) and return what it could do."""
    dropin = f"/run/systemd/system/{unit}.d"
    sh(vm, f"mkdir -p {dropin} && printf '[Service]\\nExecStart=\\nExecStart={PROBE}\\n' > {dropin}/probe.conf")
    try:
        sh(vm, f"systemctl daemon-reload && systemctl start {unit}", timeout=120)
        lines = sh(vm, f"journalctl -u {unit} -o cat --no-pager | grep '^LZPROBE ' | tail -1")
    finally:
        sh(vm, f"rm -rf {dropin} && systemctl daemon-reload")
    return json.loads(lines.split(" ", 1)[1])


def status_of(vm, pid: int) -> dict:
    lines = sh(vm, f"grep -E '^(NoNewPrivs|Seccomp|CapEff|CapBnd):' /proc/{pid}/status").splitlines()
    return dict(line.split(":\t", 1) for line in lines)


# ---- the smoke --------------------------------------------------------------------------------------
@SMOKE
def test_the_first_backup_ran_under_the_agents_sandbox_through_the_rest_servers(backup_vm):
    fact = json.loads(sh(backup_vm, "cat /etc/ansible/facts.d/backup.fact"))
    assert fact["last_run"]["status"] == "ok" and fact["last_snapshot"]["files"] >= 1, fact
    assert run_unit(backup_vm, "landingzone-backup.service") == "success"


@SMOKE
def test_the_rest_server_runs_confined(backup_vm):
    pid = int(sh(backup_vm, "systemctl show -p MainPID --value landingzone-restic-rest.service").strip())
    assert pid > 0
    status = status_of(backup_vm, pid)
    assert status["NoNewPrivs"].strip() == "1" and status["Seccomp"].strip() == "2"
    assert int(status["CapEff"], 16) == 0 and int(status["CapBnd"], 16) == 0
    # Its own mount namespace, where the keeper's files are not there and the system is read-only.
    assert sh(backup_vm, f"readlink /proc/{pid}/ns/mnt") != sh(backup_vm, "readlink /proc/1/ns/mnt")
    hidden = sh(backup_vm, f"nsenter -t {pid} -m ls /etc/landingzone-backup-keeper 2>&1; echo rc=$?")
    assert "rc=0" not in hidden
    read_only = sh(backup_vm, f"nsenter -t {pid} -m touch /usr/lz-probe 2>&1; echo rc=$?")
    assert "Read-only file system" in read_only


@SMOKE
@pytest.mark.parametrize("secret", KEEPER_SECRETS)
def test_the_rest_servers_account_reads_no_secret_of_the_keepers(backup_vm, secret):
    assert sh(backup_vm, f"cat {secret} >/dev/null; echo rc=$?").strip() == "rc=0"  # there, for root
    refused = sh(backup_vm, f"runuser -u restic-rest -- cat {secret} >/dev/null 2>&1; echo rc=$?").strip()
    assert refused == "rc=1"


@SMOKE
def test_the_rest_servers_account_cannot_even_list_the_keepers_configuration(backup_vm):
    # Where the offsite keys go (offsite-keys.json), with the passwords and the keeper's settings.
    refused = sh(backup_vm, "runuser -u restic-rest -- ls /etc/landingzone-backup-keeper 2>&1; echo rc=$?")
    assert "Permission denied" in refused and "rc=0" not in refused


@SMOKE
def test_the_keepers_index_runs_under_its_sandbox(backup_vm):
    assert run_unit(backup_vm, "landingzone-backup-index.service") == "success"
    index = json.loads(sh(backup_vm, f"cat /var/lib/landingzone-backup-server/arrivals/{HOST}.json"))
    assert index["snapshots"] and all(entry["measured"] for entry in index["snapshots"].values())
    assert (
        sh(backup_vm, f"stat -c %U /var/lib/landingzone-backup-server/arrivals/{HOST}.json").strip() == "restic-keeper"
    )


@SMOKE
@pytest.mark.parametrize("unit", ["landingzone-backup-index.service", "landingzone-backup-retention.service"])
def test_the_keepers_local_jobs_reach_no_network_and_write_no_system_file(backup_vm, unit):
    seen = probe(backup_vm, unit)
    assert seen["connect to the REST server"].startswith("no"), seen
    assert seen["open an Internet socket"].startswith("no"), seen
    assert seen["write /usr"].startswith("no"), seen
    assert seen["read the keeper's passwords"] == "yes", seen


# ---- the rest (make test-slow) ------------------------------------------------------------------------
@pytest.mark.slow
def test_the_verification_and_the_retention_run_under_their_sandbox(backup_vm):
    assert run_unit(backup_vm, "landingzone-backup-verify.service") == "success"
    assert run_unit(backup_vm, "landingzone-backup-retention.service") == "success"
    index = json.loads(sh(backup_vm, f"cat /var/lib/landingzone-backup-server/arrivals/{HOST}.json"))
    assert index["checks"][-1]["ok"] is True
    # Everything arrived within the minimum hold: the retention ran and forgot nothing.
    assert (index["retention"] or {}).get("forgotten", 0) == 0


OFFSITE_SETTINGS = """\
import json
path = "/etc/landingzone-backup-keeper/keeper.json"
config = json.load(open(path))
config["offsite"] = {"enabled": True, "repository_prefix": "rest:http://127.0.0.1:18443", "region": "unused",
                     "credentials_file": "/etc/landingzone-backup-keeper/offsite-keys.json"}
json.dump(config, open(path, "w"))
keys = "/etc/landingzone-backup-keeper/offsite-keys.json"
json.dump({"access_key_id": "unused", "secret_access_key": "unused"}, open(keys, "w"))
"""


@pytest.mark.slow
def test_the_offsite_copy_runs_under_its_sandbox_and_reaches_the_network(backup_vm):
    seen = probe(backup_vm, "landingzone-backup-offsite.service")
    assert seen["connect to the REST server"] == "yes" and seen["write /usr"].startswith("no"), seen
    # An offsite repository on the VM itself (it reaches nothing outside): rclone's REST server.
    sh(
        backup_vm,
        "mkdir -p /srv/lz-offsite && systemd-run --unit lz-offsite-target rclone serve restic "
        "--addr 127.0.0.1:18443 /srv/lz-offsite && sleep 2",
    )
    password = f"/etc/landingzone-backup-keeper/passwords/{HOST}"
    offsite = f"rest:http://127.0.0.1:18443/{HOST}/"
    try:
        sh(
            backup_vm,
            f"RESTIC_PASSWORD_FILE={password} RESTIC_FROM_PASSWORD_FILE={password} restic --no-cache "
            f"-r {offsite} init --from-repo /srv/restic/{HOST} --copy-chunker-params",
        )
        keys = "/etc/landingzone-backup-keeper/offsite-keys.json"
        sh(backup_vm, f"python3 - <<'EOF'\n{OFFSITE_SETTINGS}EOF\nchgrp restic-keeper {keys} && chmod 0640 {keys}")
        assert run_unit(backup_vm, "landingzone-backup-offsite.service") == "success"
        copied = sh(backup_vm, f"RESTIC_PASSWORD_FILE={password} restic --no-cache -r {offsite} snapshots --json")
        assert {snapshot["hostname"] for snapshot in json.loads(copied)} == {HOST, "landingzone-arrival-index"}
    finally:
        sh(backup_vm, "systemctl stop lz-offsite-target || true")
