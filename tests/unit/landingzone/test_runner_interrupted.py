"""However a run ends, no vault secret stays in its run directory.

The real CLI runs a real ansible-playbook on this machine (local connection) from a small
checkout whose audit playbook waits for the test's go, then prints two vault secrets. The
test stops the CLI while the job waits: with SIGKILL (the job lives on as an orphan and writes
its unredacted partial events; the next run stops it and removes them), SIGINT and SIGTERM.
Then it greps every file of the fleet's run and evidence directories for every secret.
"""

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from landingzone.runner.leftovers import processes_of_run, stop_processes_of_run
from landingzone.runner.vault import PRIVATE_PREFIX, PRIVATE_TMP, encrypt

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "fleet"
PASSWORD_FILE = FIXTURES / "vault-password"
PASSWORD = PASSWORD_FILE.read_text().strip()
TOKEN = "tok-interrupted-9d1e77c2a0"
CLI = Path(sys.executable).with_name("landingzone")

# One task that waits and then answers with the secrets: when the CLI is killed during the wait,
# the job, orphaned, writes that answer's event (unredacted) before it notices that its
# terminal is gone.
AUDIT_PLAYBOOK = """
---
- name: Wait, then say the secrets
  hosts: all
  gather_facts: false
  tasks:
    - name: Wait for the test's go, then say the secrets
      ansible.builtin.command:
        argv:
          - sh
          - -c
          - 'while ! test -e "$1"; do sleep 0.2; done; echo "token $2 hash $3"'
          - wait
          - "{{ lab_go_file }}"
          - "{{ lab_token }}"
          - "{{ linux_baseline_breakglass_password_hash }}"
      changed_when: false
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


@pytest.fixture
def world(tmp_path):
    checkout = tmp_path / "checkout"
    _write(checkout / "galaxy.yml", "namespace: cyberveilig\nname: landingzone\nversion: 0.1.0\n")
    _write(checkout / "ansible.cfg", "[defaults]\nhost_key_checking = False\n")
    _write(checkout / "playbooks" / "audit.yml", AUDIT_PLAYBOOK)
    (checkout / "roles").mkdir()
    fleet = tmp_path / "fleet"
    shutil.copytree(FIXTURES / "lab-north", fleet / "lab-north")
    local = f"ansible_connection: local\n      ansible_python_interpreter: {sys.executable}"
    _write(fleet / "lab-north" / "hosts.yml", f"all:\n  hosts:\n    north-app1:\n      {local}\n")
    go = tmp_path / "go"
    vaulted = textwrap.indent(encrypt(PASSWORD, TOKEN), "  ")
    _write(
        fleet / "lab-north" / "group_vars" / "all" / "test.yml",
        f"lab_go_file: {go}\nlab_token: !vault |\n{vaulted}\n",
    )
    hash_value = _breakglass_hash(fleet)
    yield {"checkout": checkout, "fleet": fleet, "go": go, "secrets": [TOKEN, hash_value, PASSWORD]}
    # Whatever a failed test left waiting ends here.
    go.touch()
    for run_dir in (fleet / ".landingzone" / "runs" / "lab-north").glob("*"):
        stop_processes_of_run(run_dir)


def _breakglass_hash(fleet: Path) -> str:
    from landingzone.runner.secret_values import municipality_secrets

    found = municipality_secrets(fleet / "lab-north", PASSWORD, set()) - {TOKEN}
    (value,) = found
    return value


def _start(world) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANDINGZONE_")}
    env["LANDINGZONE_HOME"] = str(world["checkout"])
    command = [str(CLI), "--fleet", str(world["fleet"]), "audit", "lab-north"]
    command += ["--vault-password-file", str(PASSWORD_FILE)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _runs(world) -> Path:
    return world["fleet"] / ".landingzone" / "runs" / "lab-north"


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"waited {timeout:.0f} s for {what}")


def _waiting_job(world) -> Path:
    """The run directory once its job waits for the go."""

    def ready():
        for run_dir in _runs(world).glob("*"):
            events = run_dir.glob("artifacts/*/job_events/*.json")
            if any("Wait for the test's go" in path.read_text(errors="replace") for path in events):
                return run_dir
        return None

    return _wait_for(ready, 90, "the job to wait for the go")


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _files_holding(directory: Path, secrets: list[str]) -> list[str]:
    """Every file under `directory` (which a crashed run may not have made) holding a secret."""
    found = []
    for path in directory.rglob("*") if directory.exists() else ():
        if path.is_file():
            content = path.read_bytes()
            found += [f"{path.relative_to(directory)}: {s[:6]}..." for s in secrets if s.encode() in content]
    return found


def _no_secret_anywhere(world) -> None:
    leftovers = _files_holding(world["fleet"] / ".landingzone", world["secrets"])
    leftovers += _files_holding(world["fleet"] / "evidence", world["secrets"])
    assert not leftovers, leftovers
    assert not list(_runs(world).glob("*/artifacts/*/job_events/*partial*"))


def test_a_killed_run_leaves_its_secrets_only_until_the_next_run_starts(world):
    cli = _start(world)
    run_dir = _waiting_job(world)
    # Taken while the CLI lives: any later CLI run (another test's, under two workers) may
    # already clean a dead CLI's copy up, which is the behaviour this test proves.
    password_copies = list(PRIVATE_TMP.glob(f"{PRIVATE_PREFIX}{cli.pid}-*"))
    assert password_copies, "the CLI keeps no private copy of the vault password"
    cli.kill()
    cli.wait(timeout=30)
    # The job lives on without the CLI and without the lock: let it print the secrets and end.
    assert processes_of_run(run_dir)
    world["go"].touch()
    _wait_for(lambda: not processes_of_run(run_dir), 60, "the orphaned job to end")
    # What the fix is about: the orphan's unredacted partial events hold the secrets.
    assert _files_holding(run_dir, [TOKEN]), "the orphan wrote no partial event with the secret"

    again = _start(world)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    _no_secret_anywhere(world)
    # The killed CLI's private copy of the vault password is gone too.
    assert all(not path.exists() for path in password_copies)


def test_the_next_run_stops_an_orphaned_job_still_running(world):
    cli = _start(world)
    run_dir = _waiting_job(world)
    cli.kill()
    cli.wait(timeout=30)
    orphans = processes_of_run(run_dir)
    assert orphans

    again = _start(world)
    _wait_for(lambda: not processes_of_run(run_dir), 60, "the next run to stop the orphaned job")
    # The go comes only now: the orphans were stopped, they did not finish on their own.
    world["go"].touch()
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert not any(_alive(pid) for pid in orphans)
    _no_secret_anywhere(world)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_a_stopped_run_ends_its_job_and_keeps_no_secret(world, sig):
    cli = _start(world)
    run_dir = _waiting_job(world)
    cli.send_signal(sig)
    out, err = cli.communicate(timeout=60)
    assert cli.returncode == 128 + sig, err
    # The job, its task's worker (a session of its own) and the command it runs: all gone.
    assert not processes_of_run(run_dir)
    assert "Traceback" not in err
    assert f"not reached: the run was stopped ({sig.name})" in (
        next((world["fleet"] / "evidence" / "lab-north").glob("*/results.json")).read_text()
    )
    _no_secret_anywhere(world)


def _sleeper(run_dir: Path) -> subprocess.Popen:
    env = dict(os.environ, AWX_ISOLATED_DATA_DIR=str(run_dir / "artifacts" / "x"))
    return subprocess.Popen(["sleep", "60"], env=env, start_new_session=True)


def test_a_run_s_processes_are_found_by_their_run_directory_not_by_their_id(tmp_path):
    """Only processes whose environment names the run's artifacts are stopped."""
    ours = tmp_path / "runs" / "11001-20260101T000000Z-aaaaaa"
    other = tmp_path / "runs" / "11001-20260101T000000Z-aaaaaa0"  # a name that starts like ours
    for run_dir in (ours, other):
        (run_dir / "artifacts" / "x").mkdir(parents=True)
    orphan, neighbour = (_sleeper(run_dir) for run_dir in (ours, other))
    stranger = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        assert processes_of_run(ours) == [orphan.pid]
        assert stop_processes_of_run(ours) == [orphan.pid]
        assert orphan.wait(timeout=10) == -signal.SIGTERM
        assert neighbour.poll() is None and stranger.poll() is None
    finally:
        for process in (orphan, neighbour, stranger):
            process.kill()
            process.wait()


def test_a_crash_of_the_wrapper_stops_its_job_and_keeps_no_partial_event(world, monkeypatch, capsys):
    """The CLI's own code fails mid-run (here: its event handler): the job it started must not
    run on without it, and nothing unredacted stays."""
    from landingzone import cli
    from landingzone.runner.events import RunObserver

    original = RunObserver._record
    crashed = []

    def crashing(self, event):
        if event.get("event") == "runner_on_start":
            crashed.append(self.log_path.parent)
            raise RuntimeError("the wrapper broke")
        original(self, event)

    monkeypatch.setattr(RunObserver, "_record", crashing)
    monkeypatch.setenv("LANDINGZONE_HOME", str(world["checkout"]))
    code = cli.main(["--fleet", str(world["fleet"]), "audit", "lab-north", "--vault-password-file", str(PASSWORD_FILE)])
    assert code == 3
    assert crashed, "the job never started a task"
    (run_dir,) = crashed
    # The job waited for a go that never came: it was stopped, not left to wait on its own.
    assert not processes_of_run(run_dir)
    assert not list(run_dir.glob("artifacts/*/job_events/*partial*"))
    assert "RuntimeError: the wrapper broke" in capsys.readouterr().out
    _no_secret_anywhere(world)
