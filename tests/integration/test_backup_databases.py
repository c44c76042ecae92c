"""The backup agent's database dumps against a real PostgreSQL and a real MariaDB (Debian 13).

The backup program of roles/backup_agent runs inside a lab container where both servers are
installed from Debian: with no database declared it finds and dumps both; with one declared it
dumps that one only and drops the dumps it no longer makes; and a dump restores. The role's
load_dumps entry point loads them back, stopping the services that hold a database open first
(a dump drops its database) and starting them again only when every dump loaded.
"""

from __future__ import annotations

import json
import shlex
import subprocess

import pytest
from lab_cli import BIN, ENV, ROOT, run

pytestmark = pytest.mark.lab

CONTAINER = "lz-backup-dbtest"
PROGRAM = ROOT / "roles" / "backup_agent" / "files" / "landingzone-backup"
MANIFEST = ROOT / "plugins" / "module_utils" / "_restic_manifest.py"
DUMPS = "/var/lib/landingzone-backup/dumps"
# The program has no .py suffix: load it by hand, as a module named "program".
LOAD_PROGRAM = (
    "import importlib.machinery, importlib.util\n"
    "loader = importlib.machinery.SourceFileLoader('program', '/usr/local/sbin/landingzone-backup')\n"
    "program = importlib.util.module_from_spec(importlib.util.spec_from_loader('program', loader))\n"
    "loader.exec_module(program)\n"
)


def podman(*args, check=True, timeout=600):
    done = subprocess.run(
        ["podman", *args], env=ENV, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert done.returncode == 0, f"podman {' '.join(args)}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


def inside(command, timeout=600):
    return podman("exec", CONTAINER, "bash", "-c", command, timeout=timeout).stdout


def dump(databases):
    """Run the program's dump step with this declaration; the dump files and their content."""
    config = {"databases": databases, "autodetect_databases": True, "dump_dir": DUMPS}
    script = (
        f"{LOAD_PROGRAM}import json\n"
        f"print(json.dumps(program.dump_databases(json.loads({json.dumps(json.dumps(config))}))))\n"
    )
    dumped = json.loads(inside(f"python3 -c {shlex.quote(script)}"))
    files = {name: inside(f"cat {DUMPS}/{name}") for name in inside(f"ls {DUMPS}").split()}
    return dumped, files


@pytest.fixture(scope="module")
def database_host():
    podman("rm", "--force", "--time", "2", CONTAINER, check=False)
    podman("run", "--detach", "--name", CONTAINER, "localhost/landingzone-lab:trixie")
    try:
        inside("for i in $(seq 50); do systemctl is-system-running -q --wait && break; sleep 0.2; done; true")
        inside(
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql mariadb-server",
            timeout=900,
        )
        # The image keeps packages from starting services at install time (as a fresh host would not).
        inside(
            "systemctl enable --now postgresql mariadb && for i in $(seq 120); do "
            "runuser -u postgres -- pg_isready -q && mariadb -e 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done"
        )
        inside("mkdir -p /usr/local/lib/landingzone-backup")
        podman("cp", str(PROGRAM), f"{CONTAINER}:/usr/local/sbin/landingzone-backup")
        podman("cp", str(MANIFEST), f"{CONTAINER}:/usr/local/lib/landingzone-backup/manifest.py")
        inside(
            "runuser -u postgres -- psql -q -c 'CREATE DATABASE registry' && "
            "runuser -u postgres -- psql -q -d registry -c "
            "\"CREATE TABLE people (name text); INSERT INTO people VALUES ('An Peeters')\""
        )
        inside(
            "mariadb -e 'CREATE DATABASE finance; CREATE TABLE finance.invoices (id int); "
            "INSERT INTO finance.invoices VALUES (4242)'"
        )
        yield CONTAINER
    finally:
        # A loaded machine can fail the first removal while systemd inside is still stopping.
        for _ in range(3):
            podman("rm", "--force", "--time", "10", CONTAINER, check=False)
            if podman("container", "exists", CONTAINER, check=False).returncode != 0:
                break


def test_both_servers_are_found_and_dumped_when_none_is_declared(database_host):
    dumped, files = dump([])
    assert dumped == [{"engine": "postgresql", "name": "all"}, {"engine": "mariadb", "name": "all"}]
    assert "An Peeters" in files["postgresql-all.sql"]
    assert "4242" in files["mariadb-all.sql"] and "invoices" in files["mariadb-all.sql"]
    assert inside(f"stat -c %a {DUMPS}/postgresql-all.sql").strip() == "600"


def test_a_declared_database_replaces_the_detected_ones_and_restores(database_host):
    dumped, files = dump([{"engine": "postgresql", "name": "registry"}])
    assert dumped == [{"engine": "postgresql", "name": "registry"}]
    assert sorted(files) == ["postgresql-registry.sql"]
    inside("runuser -u postgres -- psql -q -c 'DROP DATABASE registry'")
    # The dump is root's alone (0600): root's shell hands it to psql.
    inside(f"runuser -u postgres -- psql -q -d postgres < {DUMPS}/postgresql-registry.sql")
    assert "An Peeters" in inside("runuser -u postgres -- psql -tA -d registry -c 'SELECT name FROM people'")


def test_a_failing_dump_fails_the_run_with_the_reason(database_host):
    script = (
        f"{LOAD_PROGRAM}"
        "try:\n"
        f"    program.dump_databases({{'databases': [{{'engine': 'postgresql', 'name': 'nosuchdb'}}],"
        f" 'autodetect_databases': True, 'dump_dir': '{DUMPS}'}})\n"
        "except program.BackupFailed as exc:\n    print(exc)\n"
    )
    message = inside(f"python3 -c {shlex.quote(script)}")
    assert "dump of postgresql database nosuchdb failed" in message and "nosuchdb" in message


# ---- loading the dumps back, as a restore or the drill does ------------------------------------------
LOAD_PLAYBOOK = """\
- name: Load restored dumps as a restore does
  hosts: all
  gather_facts: false
  tasks:
    - name: Load them through the backup agent's entry point
      ansible.builtin.include_role:
        name: cyberveilig.landingzone.backup_agent
        tasks_from: load_dumps
"""


def load_through_the_role(databases, tmp_path, stop_services=None):
    """The role's load_dumps entry point on the container; ansible-playbook's result."""
    playbook = tmp_path / "load.yml"
    playbook.write_text(LOAD_PLAYBOOK)
    extra_vars = {"backup_agent_load_databases": databases}
    if stop_services is not None:
        extra_vars["backup_agent_load_stop_services"] = stop_services
    command = [
        BIN / "ansible-playbook", "-i", f"{CONTAINER},", "-c", "containers.podman.podman", str(playbook),
        "-e", json.dumps(extra_vars),
    ]  # fmt: skip
    return run(command)


def test_dumps_of_all_databases_load_back_through_the_role(database_host, tmp_path):
    dump([])
    inside("runuser -u postgres -- psql -q -c 'DROP DATABASE registry' && mariadb -e 'DROP DATABASE finance'")
    everything = [{"engine": "postgresql", "name": "all"}, {"engine": "mariadb", "name": "all"}]
    done = load_through_the_role(everything, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "An Peeters" in inside("runuser -u postgres -- psql -tA -d registry -c 'SELECT name FROM people'")
    assert inside("mariadb -N -e 'SELECT id FROM finance.invoices'").split() == ["4242"]


def test_an_unexpected_error_in_a_dump_of_all_fails_the_load(database_host, tmp_path):
    # pg_dumpall's script must fail on the role psql is connected as; any other error must not pass.
    dump([{"engine": "postgresql", "name": "all"}])
    inside(f"echo 'SELECT * FROM no_such_table;' >> {DUMPS}/postgresql-all.sql")
    done = load_through_the_role([{"engine": "postgresql", "name": "all"}], tmp_path)
    assert done.returncode != 0
    assert f"failed: [{CONTAINER}] (item=postgresql:all)" in done.stdout, done.stdout[-3000:]
    assert "no_such_table" in done.stdout


def test_a_named_mariadb_dump_replaces_its_database_whole(database_host, tmp_path):
    dump([{"engine": "mariadb", "name": "finance"}])
    # After the backup: a table the dump does not hold, and a row lost.
    inside("mariadb -e 'CREATE TABLE finance.scratch (x int); DELETE FROM finance.invoices'")
    done = load_through_the_role([{"engine": "mariadb", "name": "finance"}], tmp_path)
    assert done.returncode == 0, done.stdout[-3000:]
    assert inside("mariadb -N -e 'SHOW TABLES FROM finance'").split() == ["invoices"]
    assert inside("mariadb -N -e 'SELECT id FROM finance.invoices'").split() == ["4242"]


# ---- the application's services stopped while its databases load ------------------------------------
# An application's connection pool, as a unit that can be started again: psql connected to the
# registry database, idle, reading a pipe that never ends. Stopping the unit ends psql, and the
# server ends the session when the connection closes.
HOLDER = "registry-reader.service"
HOLDER_UNIT = """\
[Unit]
Description=Holds a session open on the registry database, as an application's connection pool does
After=postgresql.service

[Service]
User=postgres
Environment=PGAPPNAME=registry-reader
ExecStart=/bin/sh -c 'sleep infinity | psql -X --quiet -d registry'
"""
HOLDER_SESSIONS = (
    "runuser -u postgres -- psql -tA -d postgres -c "
    "\"SELECT count(*) FROM pg_stat_activity WHERE datname = 'registry' AND application_name = 'registry-reader'\""
)


def wait_for_the_holder_session():
    for _ in range(50):
        if inside(HOLDER_SESSIONS).strip() == "1":
            return
        inside("sleep 0.2")
    raise AssertionError(f"{HOLDER} opened no session on registry: {inside(f'systemctl status {HOLDER} || true')}")


def hold_the_registry_open():
    """The holder unit installed, started and connected to registry."""
    inside(
        f"cat > /etc/systemd/system/{HOLDER} <<'UNIT'\n{HOLDER_UNIT}UNIT\n"
        f"systemctl daemon-reload && systemctl start {HOLDER}"
    )
    wait_for_the_holder_session()


def holder_state():
    return podman("exec", CONTAINER, "systemctl", "is-active", HOLDER, check=False).stdout.strip()


def test_the_services_holding_a_database_open_stop_while_it_loads_and_start_again(database_host, tmp_path):
    registry = [{"engine": "postgresql", "name": "registry"}]
    dump(registry)
    inside("runuser -u postgres -- psql -q -d registry -c 'DELETE FROM people'")
    hold_the_registry_open()

    # Without the services named, the dump's DROP DATABASE is refused and nothing is replaced.
    done = load_through_the_role(registry, tmp_path)
    assert done.returncode != 0
    assert 'database "registry" is being accessed by other users' in done.stdout, done.stdout[-3000:]
    assert inside("runuser -u postgres -- psql -tA -d registry -c 'SELECT count(*) FROM people'").strip() == "0"

    done = load_through_the_role(registry, tmp_path, stop_services=[HOLDER])
    assert done.returncode == 0, done.stdout[-3000:]
    assert "An Peeters" in inside("runuser -u postgres -- psql -tA -d registry -c 'SELECT name FROM people'")
    assert holder_state() == "active"
    wait_for_the_holder_session()


def test_a_failed_load_leaves_the_services_stopped_and_names_them(database_host, tmp_path):
    registry = [{"engine": "postgresql", "name": "registry"}]
    dump(registry)
    inside(f"echo 'SELECT * FROM no_such_table;' >> {DUMPS}/postgresql-registry.sql")
    hold_the_registry_open()
    done = load_through_the_role(registry, tmp_path, stop_services=[HOLDER])
    assert done.returncode != 0
    assert f"postgresql:registry did not load; {HOLDER} left stopped" in done.stdout, done.stdout[-3000:]
    assert "no_such_table" in done.stdout
    assert holder_state() == "inactive"


def test_a_service_name_that_is_no_unit_is_refused_naming_the_variable(database_host, tmp_path):
    done = load_through_the_role([{"engine": "postgresql", "name": "registry"}], tmp_path, stop_services=["psql; rm"])
    assert done.returncode != 0
    assert "backup_agent_load_stop_services: psql; rm is not a systemd service unit" in done.stdout, done.stdout[-3000:]
