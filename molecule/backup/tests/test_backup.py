"""The backup roles against the real thing: restic, rclone's append-only REST server, moto's S3.

The tests share two containers and run in file order: the failure cases come last and put
everything back as they found it.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import testinfra

SCENARIO = Path(__file__).resolve().parents[1]
PROJECT = SCENARIO.parents[1]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
INVENTORY = os.environ.get("MOLECULE_INVENTORY_FILE", str(EPHEMERAL / "inventory"))
SERVER = testinfra.get_host("podman://lz-backup-server")
AGENT = testinfra.get_host("podman://lz-backup-agent")
CACERT = "/etc/landingzone-backup/ca.crt"
FACT = "/etc/ansible/facts.d/backup.fact"
# Run restic on the agent exactly as its backup service does.
AGENT_RESTIC = f"set -a; . /etc/landingzone-backup/repository.env; set +a; restic --cacert {CACERT}"
# The state of /srv/data as find sees it: path, type, mode, owner, size, link target, content hash.
LISTING = (
    "cd /srv/data && find . -printf '%p %y %m %u:%g %s %l\\n' | sort && "
    "find . -type f -print0 | sort -z | xargs -0 sha256sum"
)


def run(host, command, timeout=300):
    """Run ``command`` (bash) on ``host``; the result, whatever the exit code."""
    return host.run(f"timeout {timeout} bash -c {shlex.quote(command)}")


def ok(host, command, timeout=300):
    result = run(host, command, timeout)
    assert result.rc == 0, f"{command}\nexit {result.rc}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result.stdout


def fact(host):
    return json.loads(host.file(FACT).content_string)


def start_backup(host):
    """Start one backup run and wait for it; the run's exit code."""
    return run(host, "systemctl start landingzone-backup.service").rc


def journal_since(host, cursor_time, unit=None):
    selector = f"-u {unit}" if unit else "-t landingzone-backup"
    return ok(host, f"journalctl --no-pager -q {selector} --since '{cursor_time}'")


def now_on(host):
    return ok(host, "date -u '+%Y-%m-%d %H:%M:%S'").strip()


def wait_until(what, probe, timeout=120):
    """Poll ``probe`` until it returns something true, for at most ``timeout`` seconds (a loaded
    machine runs the units late, never wrongly); that value."""
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.5)
    return value


def unit_state(host, unit):
    return ok(host, f"systemctl show -p ActiveState --value {unit}").strip()


def ansible_environment():
    """Ansible as the scenario runs it, printing JSON."""
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(PROJECT / "collections"),
        ANSIBLE_CONFIG=str(EPHEMERAL / "ansible.cfg"),
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
        ANSIBLE_FORCE_COLOR="0",
    )
    # Callbacks enabled for the scenario's own playbooks (profile_tasks, say) would print
    # into the JSON read here.
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    return env


def module(hostname, name, args):
    """One task of a collection module on a host, through Ansible; its result."""
    env = ansible_environment()
    command = [
        str(Path(sys.executable).parent / "ansible"),
        "-i", INVENTORY, hostname, "-m", f"cyberveilig.landingzone.{name}", "-a", json.dumps(args),
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300, check=False
    )
    output = json.loads(done.stdout)
    return output["plays"][0]["tasks"][0]["hosts"][hostname], done.stdout


def agent_connection():
    """The agent's repository location and password, as its service reads them."""
    env = ok(AGENT, "cat /etc/landingzone-backup/repository.env")
    location = next(line.split("=", 1)[1] for line in env.splitlines() if line.startswith("RESTIC_REPOSITORY="))
    password = AGENT.file("/etc/landingzone-backup/repository.password").content_string
    return {"repository": location, "password": password, "cacert": CACERT, "cache_dir": "/var/cache/restic"}


def s3_environment():
    endpoint = (EPHEMERAL / "s3_endpoint").read_text().strip()
    env = {
        "AWS_ACCESS_KEY_ID": "molecule-access-key",
        "AWS_SECRET_ACCESS_KEY": "molecule-secret-key",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return endpoint, env


@pytest.fixture(scope="module", autouse=True)
def no_timer_runs():
    """The tests start every backup themselves: the agent's hourly timer, should the scenario run across
    the hour, would start one of its own in the middle of a test that judges the last run."""
    ok(AGENT, "systemctl stop landingzone-backup.timer")
    yield
    ok(AGENT, "systemctl start landingzone-backup.timer")


# ---- back up, destroy, restore ------------------------------------------------------------------
def test_destroyed_data_comes_back_byte_for_byte_with_modes_and_owners():
    before = ok(AGENT, LISTING)
    assert start_backup(AGENT) == 0
    assert fact(AGENT)["last_run"]["status"] == "ok"
    ok(AGENT, "rm -rf /srv/data")
    ok(AGENT, f"{AGENT_RESTIC} restore latest --host lz-backup-agent --include /srv/data --target /")
    assert ok(AGENT, LISTING) == before
    assert "www-data:www-data" in before and " 640 " in before


def test_restore_verify_compares_the_snapshot_with_its_manifest():
    result, raw = module(
        "lz-backup-agent",
        "restic_restore_verify",
        dict(agent_connection(), host="lz-backup-agent", paths=["/srv/data"]),
    )
    assert not result.get("failed"), result.get("msg")
    assert result["verified"] is True and result["checked"] >= 6 and result["mismatch_count"] == 0
    assert result["landingzone_evidence"]["section"] == "backup"
    assert result["landingzone_evidence"]["record"]["verdict"] == "pass"
    assert agent_connection()["password"] not in raw
    assert ok(AGENT, "ls /var/tmp | grep -c landingzone-restore-verify || true").strip() == "0"


def test_snapshot_status_reports_the_fresh_backup_against_the_rpo():
    result, raw = module(
        "lz-backup-agent",
        "restic_snapshot_status",
        dict(agent_connection(), host="lz-backup-agent", rpo_minutes=60, fact_file=FACT),
    )
    assert result["rpo_met"] is True and result["error"] is None
    assert result["latest"]["id"].startswith(fact(AGENT)["last_snapshot"]["id"][:8])
    record = result["landingzone_evidence"]["record"]
    assert record["last_run"]["status"] == "ok" and "@" not in record["repository"]
    assert record["verdict"] == "pass"
    assert agent_connection()["password"] not in raw


def test_the_backup_server_judges_the_rpo_from_its_arrival_index():
    # The keeper's index service, as the audit starts it, under systemd and as the keeper's account.
    ok(SERVER, "systemctl start landingzone-backup-index.service")
    index = json.loads(SERVER.file("/var/lib/landingzone-backup-server/arrivals/lz-backup-agent.json").content_string)
    assert SERVER.file("/var/lib/landingzone-backup-server/arrivals/lz-backup-agent.json").user == "restic-keeper"
    result, _ = module("lz-backup-server", "restic_arrival_status", {"client": "lz-backup-agent", "rpo_minutes": 60})
    assert result["rpo_met"] is True, result["reason"]
    assert result["landingzone_evidence"]["record"]["verdict"] == "pass"
    latest = result["latest_good"]
    assert latest["id"] == fact(AGENT)["last_snapshot"]["id"][:8] and latest["suspect"] is False
    assert latest["files"] >= 6 and 0 <= result["age_minutes"] < 30
    assert all(entry["measured"] for entry in index["snapshots"].values())


def test_the_audit_waits_for_an_index_run_the_timer_began_before_the_latest_backup(tmp_path):
    # The keeper's timer began an index run and it is still under way (here: held on the index lock)
    # when a backup arrives. The audit's own index run must not take that one for done, or the
    # server judges the host by the snapshots it listed before the newest arrived.
    index_unit = "landingzone-backup-index.service"
    lock = "/var/lib/landingzone-backup-server/arrivals/.index.lock"
    ok(SERVER, f"setsid runuser -u restic-keeper -- flock {lock} sleep 599 </dev/null >/dev/null 2>&1 &")
    try:
        ok(SERVER, f"systemctl start --no-block {index_unit}")
        wait_until("the timer's index run", lambda: unit_state(SERVER, index_unit) == "activating")
        under_way = ok(SERVER, f"systemctl show -p InvocationID --value {index_unit}").strip()
        assert start_backup(AGENT) == 0
        newest = fact(AGENT)["last_snapshot"]["id"][:8]
        play = {
            "name": "The agent's status, judged by the server, as an audit runs it",
            "hosts": "lz-backup-agent",
            "gather_facts": False,
            "vars_files": [str(SCENARIO.parent / "shared/vars/pki.yml"), str(SCENARIO / "vars/backup.yml")],
            "vars": {"backup_agent_server_host": "lz-backup-server"},
            "tasks": [
                {
                    "ansible.builtin.include_role": {
                        "name": "cyberveilig.landingzone.backup_agent",
                        "tasks_from": "status",
                    }
                }
            ],
        }
        (tmp_path / "status.yml").write_text(json.dumps([play]))
        audit = subprocess.Popen(
            [str(Path(sys.executable).parent / "ansible-playbook"), "-i", INVENTORY, str(tmp_path / "status.yml")],
            env=ansible_environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

        def restarted_or_done():
            invocation = ok(SERVER, f"systemctl show -p InvocationID --value {index_unit}").strip()
            return audit.poll() is not None or invocation != under_way

        wait_until("the audit's own index run", restarted_or_done)
    finally:
        SERVER.run("pkill -f 'sleep 599'")
    stdout, stderr = audit.communicate(timeout=300)
    assert audit.returncode == 0, stdout[-3000:] + stderr[-2000:]
    (judgment,) = [
        task["hosts"]["lz-backup-agent"]
        for task in json.loads(stdout)["plays"][0]["tasks"]
        # A role's task is named "<role> : <task>".
        if task["task"]["name"].endswith(" : The backup server's judgment of this host's RPO")
    ]
    assert (judgment["latest_good"] or {}).get("id") == newest, judgment


# ---- two accounts on the server ---------------------------------------------------------------------
def test_the_rest_servers_account_reads_no_secret_of_the_keepers():
    secrets = [
        "/etc/landingzone-backup-keeper/passwords/lz-backup-agent",
        "/etc/landingzone-backup-keeper/offsite-keys.json",
        "/etc/landingzone-backup-keeper/keeper.json",
        "/var/lib/landingzone-backup-server/arrivals/lz-backup-agent.json",
    ]
    ok(SERVER, "systemctl start landingzone-backup-index.service")
    for secret in secrets:
        assert run(SERVER, f"test -s {secret}").rc == 0, secret
        assert run(SERVER, f"runuser -u restic-rest -- cat {secret}").rc != 0, secret
        assert run(SERVER, f"runuser -u restic-keeper -- cat {secret}").rc == 0, secret
    # The files of the role's earlier layout, where the REST account read them, are gone.
    assert run(SERVER, "ls /etc/landingzone-backup-server/passwords /etc/landingzone-backup-server/offsite.env").rc != 0


# ---- append-only -----------------------------------------------------------------------------------
def test_a_client_cannot_delete_or_prune_its_history():
    snapshots = ok(AGENT, f"{AGENT_RESTIC} snapshots --json")
    ids = [s["id"] for s in json.loads(snapshots)]
    # The REST server itself refuses the deletion (restic may still exit 0 after giving up).
    delete = (
        "import os, ssl, urllib.request, urllib.error, base64, urllib.parse\n"
        "url = urllib.parse.urlsplit(os.environ['RESTIC_REPOSITORY'][5:])\n"
        "auth = base64.b64encode(urllib.parse.unquote(f'{url.username}:{url.password}').encode()).decode()\n"
        "base = f'{url.scheme}://{url.hostname}:{url.port}{url.path}'\n"
        f"request = urllib.request.Request(base + 'snapshots/{ids[0]}', method='DELETE')\n"
        "request.add_header('Authorization', 'Basic ' + auth)\n"
        f"context = ssl.create_default_context(cafile='{CACERT}')\n"
        # Python 3.13 insists on key identifiers the lab CA's certificates do not carry; restic does not.
        "context.verify_flags &= ~getattr(ssl, 'VERIFY_X509_STRICT', 0)\n"
        "try:\n    print(urllib.request.urlopen(request, context=context).status)\n"
        "except urllib.error.HTTPError as exc:\n    print(exc.code)\n"
    )
    AGENT.run(f"cat > /tmp/delete_snapshot.py <<'EOF'\n{delete}EOF")
    status = ok(AGENT, "set -a; . /etc/landingzone-backup/repository.env; python3 /tmp/delete_snapshot.py")
    assert status.strip() == "403"
    # restic's forget and prune from a client, and every other way to delete or overwrite, are tried
    # against the same REST server on loopback by tests/unit/backup/test_keeper_attacks.py: refused,
    # restic retries for most of a minute, which this scenario cannot afford.
    after = [s["id"] for s in json.loads(ok(AGENT, f"{AGENT_RESTIC} snapshots --json"))]
    assert after == ids


# ---- a killed run ------------------------------------------------------------------------------------
def test_a_backup_killed_mid_run_is_followed_by_a_good_one():
    ok(AGENT, "head -c 150000000 /dev/urandom > /srv/data/big.bin")
    try:
        since = now_on(AGENT)
        ok(SERVER, "touch /tmp/before-killed-run")
        ok(AGENT, "systemctl start --no-block landingzone-backup.service")
        # Freeze the server the moment the backup has stored its first pack: restic then waits on the
        # server, mid-run, and is still there to be killed the hard way, however fast this machine backs up.
        # (The first pack, not the first lock: only a client's backup writes packs.)
        try:
            ok(
                SERVER,
                "for i in $(seq 2400); do "
                "find /srv/restic/lz-backup-agent/data -type f -newer /tmp/before-killed-run | grep -q . "
                "&& exec kill -STOP $(pidof rclone); sleep 0.05; done; echo 'no pack stored within 120 s'; exit 1",
            )
            ok(AGENT, "pkill -KILL -x restic")  # exit 1 if no restic was running
        finally:
            SERVER.run("kill -CONT $(pidof rclone)")
        # The service fails; then OnFailure= marks the fact and, last, logs the alert.
        wait_until("the backup service failed", lambda: unit_state(AGENT, "landingzone-backup.service") == "failed")
        wait_until("the alert", lambda: "ALERT backup of lz-backup-agent failed" in journal_since(AGENT, since))
        assert fact(AGENT)["last_run"]["status"] == "failed"
        AGENT.run("rm -f /srv/data/big.bin")
        # A stale lock is left behind; the next run clears it and succeeds.
        assert start_backup(AGENT) == 0
        assert fact(AGENT)["last_run"]["status"] == "ok"
        ok(AGENT, f"{AGENT_RESTIC} check")
    finally:
        AGENT.run("rm -f /srv/data/big.bin")
        # Whatever failed above, no lock of the killed run may hold the server's retention back.
        AGENT.run(f"{AGENT_RESTIC} unlock")


# ---- on the server: retention and the offsite copy ------------------------------------------------
def test_retention_keeps_by_arrival_exactly_what_the_policy_says():
    # Policy of the scenario: keep_daily 3, keep_weekly 2, keep_monthly 1, keep_yearly 0, keep_last_good 1,
    # min_hold_days 1. The probes arrive (the server's mtime of their snapshot file) when they claim to.
    arrivals = [
        "2024-06-01 10:00:00",
        "2025-10-15 10:00:00",
        "2025-11-04 10:00:00",
        "2025-11-11 10:00:00",
        "2025-11-18 10:00:00",
        "2025-11-19 10:00:00",
        "2025-11-20 10:00:00",
        "2025-11-20 12:00:00",
    ]
    # Written on the server's disk by the keeper's account, the way the retention itself works, and
    # dated by touching their snapshot file: the client's way in is what the tests above prove, and
    # eight more runs through the REST server (a bcrypt check for every request) would cost half a minute.
    probe = (
        "echo {stamp} | TZ=UTC runuser -u restic-keeper -- restic --no-cache -r /srv/restic/lz-backup-agent "
        "backup -q --host retention-probe --time {stamp} --stdin --stdin-filename retention-probe && "
        '(cd /srv/restic/lz-backup-agent/snapshots && touch -d {stamp_utc} "$(ls -t | head -1)")'
    )
    ok(
        SERVER,
        "cd / && export RESTIC_PASSWORD_FILE=/etc/landingzone-backup-keeper/passwords/lz-backup-agent && "
        + " && ".join(
            probe.format(stamp=shlex.quote(stamp), stamp_utc=shlex.quote(f"{stamp} UTC")) for stamp in arrivals
        ),
    )
    ok(SERVER, "systemctl start landingzone-backup-retention.service")
    listed = ok(
        SERVER,
        "RESTIC_PASSWORD_FILE=/etc/landingzone-backup-keeper/passwords/lz-backup-agent "
        "restic --no-cache -r /srv/restic/lz-backup-agent snapshots --host retention-probe --json",
    )
    kept = sorted(s["time"][:16].replace("T", " ") for s in json.loads(listed))
    # Daily: 11-20 (the later one), 11-19, 11-18; weekly: week 47 (11-20), week 46 (11-11); monthly: November.
    assert kept == ["2025-11-11 10:00", "2025-11-18 10:00", "2025-11-19 10:00", "2025-11-20 12:00"]
    index = json.loads(SERVER.file("/var/lib/landingzone-backup-server/arrivals/lz-backup-agent.json").content_string)
    forgotten = [e for e in index["snapshots"].values() if (e["removed"] or {}).get("by") == "retention"]
    assert len(forgotten) == 4 and not any(e["suspect"] for e in index["snapshots"].values())
    # The agent's own snapshots arrived within the minimum hold, and the repository is sound after the prune.
    assert json.loads(ok(AGENT, f"{AGENT_RESTIC} snapshots --host lz-backup-agent --json"))
    ok(AGENT, f"{AGENT_RESTIC} check")


def test_the_offsite_copy_lands_in_s3_and_restores_from_there():
    ok(SERVER, "systemctl start landingzone-backup-offsite.service", timeout=600)
    endpoint, env = s3_environment()
    agent_password = SERVER.file("/etc/landingzone-backup-keeper/passwords/lz-backup-agent").content_string
    local = ok(
        SERVER,
        "RESTIC_PASSWORD_FILE=/etc/landingzone-backup-keeper/passwords/lz-backup-agent "
        "restic --no-cache -r /srv/restic/lz-backup-agent snapshots --json",
    )
    # The arrival index went with the copies (restic copy keeps no mtimes).
    exports = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
    index = json.loads(
        ok(
            SERVER,
            f"{exports} RESTIC_PASSWORD_FILE=/etc/landingzone-backup-keeper/passwords/lz-backup-agent "
            f"restic --no-cache -r s3:{endpoint}/lz-offsite/lz-backup-agent dump latest "
            "--host landingzone-arrival-index /var/lib/landingzone-backup-server/arrivals/lz-backup-agent.json",
        )
    )
    assert {s["id"] for s in json.loads(local)} <= set(index["snapshots"])
    result, raw = module(
        "lz-backup-server",
        "restic_restore_verify",
        {
            "repository": f"s3:{endpoint}/lz-offsite/lz-backup-agent",
            "password": agent_password,
            "environment": env,
            "host": "lz-backup-agent",
            "paths": ["/srv/data"],
        },
    )
    assert not result.get("failed"), result.get("msg")
    assert result["verified"] is True and result["mismatch_count"] == 0
    latest_local = max((s for s in json.loads(local) if s["hostname"] == "lz-backup-agent"), key=lambda s: s["time"])
    # restic copy gives the copy an id of its own; it keeps the original's time.
    assert result["snapshot"]["time"][:19] == latest_local["time"][:19]
    assert "molecule-secret-key" not in raw and agent_password not in raw


# ---- failures: each clear, each in the fact, each in the status -------------------------------------
@pytest.fixture
def zero_rpo():
    """An RPO of zero minutes: any failed run is then a breach, as hours without a backup would make it."""
    config = "/etc/landingzone-backup/config.json"
    ok(AGENT, f"cp -p {config} /root/config.json.saved")
    ok(AGENT, f'sed -i \'s/"rpo_minutes": [0-9]*/"rpo_minutes": 0/\' {config}')
    yield
    ok(AGENT, f"mv /root/config.json.saved {config}")


def assert_failed_run(reason_fragment, since):
    wait_until("the RPO alert", lambda: "RPO BREACHED" in journal_since(AGENT, since))
    recorded = fact(AGENT)
    assert recorded["last_run"]["status"] == "failed"
    assert reason_fragment in recorded["last_run"]["error"], recorded["last_run"]["error"]
    assert recorded["rpo_breached"] is True


def test_wrong_repository_password(zero_rpo):
    password_file = "/etc/landingzone-backup/repository.password"
    ok(AGENT, f"cp -p {password_file} /root/password.saved && printf 'not-the-password' > {password_file}")
    try:
        since = now_on(AGENT)
        assert start_backup(AGENT) != 0
        assert_failed_run("wrong password", since)
        status, _ = module(
            "lz-backup-agent",
            "restic_snapshot_status",
            dict(agent_connection(), host="lz-backup-agent", rpo_minutes=60, fact_file=FACT),
        )
        assert status["rpo_met"] is False and status["error"]["kind"] == "wrong_password"
        assert status["last_run"]["status"] == "failed"
    finally:
        ok(AGENT, f"mv /root/password.saved {password_file}")


def test_server_down(zero_rpo):
    ok(SERVER, "systemctl stop landingzone-restic-rest.service")
    try:
        since = now_on(AGENT)
        assert start_backup(AGENT) != 0
        assert_failed_run("cannot be reached: Connection refused", since)
        status, _ = module(
            "lz-backup-agent",
            "restic_snapshot_status",
            dict(agent_connection(), host="lz-backup-agent", rpo_minutes=60),
        )
        assert status["rpo_met"] is False and status["error"]["kind"] == "unreachable"
    finally:
        ok(SERVER, "systemctl start landingzone-restic-rest.service")
        ok(SERVER, "for i in $(seq 50); do ss -ltn | grep -q ':8443 ' && break; sleep 0.2; done")


def test_server_disk_full(zero_rpo):
    # This client's repository lives on a 6 MB tmpfs of the server.
    env = "/etc/landingzone-backup/repository.env"
    password_file = "/etc/landingzone-backup/repository.password"
    full_env = (
        "RESTIC_REPOSITORY=rest:https://lz-backup-full:full-rest-pass-3@lz-backup-server:8443/lz-backup-full/\n"
        f"RESTIC_PASSWORD_FILE={password_file}\nRESTIC_CACHE_DIR=/var/cache/restic\n"
    )
    ok(AGENT, f"cp -p {env} /root/env.saved && cp -p {password_file} /root/password.saved")
    ok(AGENT, f"printf '%s' '{full_env}' > {env} && printf 'full-repo-secret-3' > {password_file}")
    ok(AGENT, "head -c 12000000 /dev/urandom > /srv/data/too-big.bin")
    try:
        since = now_on(AGENT)
        server_since = now_on(SERVER)
        assert start_backup(AGENT) != 0
        assert_failed_run("check the free space on its disk", since)
        assert "remaining disk space" in journal_since(SERVER, server_since, "landingzone-restic-rest.service")
        status, _ = module(
            "lz-backup-agent",
            "restic_snapshot_status",
            dict(agent_connection(), host="lz-backup-agent", rpo_minutes=60),
        )
        assert status["rpo_met"] is False and status["latest"] is None
    finally:
        AGENT.run("rm -f /srv/data/too-big.bin")
        ok(AGENT, f"mv /root/env.saved {env} && mv /root/password.saved {password_file}")


def test_a_good_run_clears_the_alarm():
    assert start_backup(AGENT) == 0
    recorded = fact(AGENT)
    assert recorded["last_run"]["status"] == "ok" and recorded["rpo_breached"] is False
