"""Fault injection against the real engine on a temporary root: a second run, a useradd at
the same moment, SIGKILL at each commit step, a full disk at each step.

Each engine run that can be killed or blocked runs in a process of its own
(engine_child.py). After each fault, the next run must leave the host consistent, and
rolling the runs back must give the pre-run files byte for byte (content, mode, owner).
The commands the engine runs (sshd -t, systemctl) are the harness's fakes; useradd and
chpasswd are the real ones, chrooted into the temporary root.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import locks
from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.engine import Engine
from engine_harness import FakeSystem, control, make_host
from fault_harness import (
    CATALOG,
    applied_state,
    manifest,
    old_or_new,
    prepare,
    roll_back_all,
    run_child,
    snapshot,
)


def wait_for(path, seconds=30):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


# ---- two runs at once -----------------------------------------------------------------------


def test_a_second_run_stops_at_once_naming_the_first_and_changes_nothing(tmp_path):
    root = tmp_path / "root"
    prepare(root)
    before = snapshot(root)
    pause = tmp_path / "pause"
    pause.mkdir()
    first, first_report = run_child(
        tmp_path, {"root": str(root), "run_id": "first", "pause_dir": str(pause)}, wait=False
    )
    try:
        wait_for(pause / "paused")  # the first run has staged everything and holds both locks

        started = time.monotonic()
        code, second = run_child(tmp_path, {"root": str(root), "run_id": "second"})
        took = time.monotonic() - started

        assert code == 3
        assert "another linux_controls run is under way" in second["error"]
        assert "run first, pid " in second["error"]  # names the run that holds the lock
        assert took < 10  # it stopped at once: no wait for the first run
        assert snapshot(root) == before
        assert manifest(root, "second") is None
        # A rollback is a run too.
        code, undo = run_child(tmp_path, {"root": str(root), "run_id": "undo", "mode": "rollback", "rollback_run": "x"})
        assert code == 3 and "run first" in undo["error"]
    finally:
        (pause / "go").touch()
        first.wait(timeout=60)
    assert first.returncode == 0
    statuses = {r["id"]: r["status"] for r in json.loads(first_report.read_text())["results"]}
    assert set(statuses.values()) == {"fixed"}
    # Once the first has finished, the lock is free again.
    code, third = run_child(tmp_path, {"root": str(root), "run_id": "third"})
    assert code == 0 and {r["status"] for r in third["results"]} == {"pass"}


def test_a_killed_run_leaves_no_lock_behind(tmp_path):
    root = tmp_path / "root"
    prepare(root)
    pause = tmp_path / "pause"
    pause.mkdir()
    first, _ = run_child(tmp_path, {"root": str(root), "run_id": "first", "pause_dir": str(pause)}, wait=False)
    wait_for(pause / "paused")
    first.kill()
    first.wait(timeout=10)

    code, report = run_child(tmp_path, {"root": str(root), "run_id": "next"})

    assert code == 0
    assert {r["status"] for r in report["results"]} == {"fixed"}


# ---- the account files and their neighbours -----------------------------------------------


def test_a_useradd_and_a_chpasswd_during_the_run_wait_and_are_kept(tmp_path):
    root = tmp_path / "root"
    prepare(root)
    pause = tmp_path / "pause"
    pause.mkdir()
    engine_run, report_path = run_child(
        tmp_path, {"root": str(root), "run_id": "tx", "pause_dir": str(pause)}, wait=False
    )
    try:
        wait_for(pause / "paused")  # the engine has read passwd and shadow and staged its edits
        useradd = subprocess.Popen(["useradd", "--root", str(root), "-M", "-s", "/bin/bash", "alice"])
        chpasswd = subprocess.Popen(["chpasswd", "--root", str(root), "-e"], stdin=subprocess.PIPE, text=True)
        chpasswd.stdin.write("ops:$y$j9T$newsalt$newhash\n")
        chpasswd.stdin.close()
        time.sleep(1.5)
        # Both wait for the lock the engine holds from its read until its write.
        assert useradd.poll() is None and chpasswd.poll() is None
        assert "alice" not in (root / "etc/passwd").read_text()
    finally:
        (pause / "go").touch()
        engine_run.wait(timeout=60)
    assert useradd.wait(timeout=30) == 0
    assert chpasswd.wait(timeout=30) == 0

    passwd, shadow = (root / "etc/passwd").read_text(), (root / "etc/shadow").read_text()
    assert "alice:x:" in passwd and "alice:" in shadow  # the neighbour's account survived
    assert "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin" in passwd  # and so did the engine's fix
    assert "ops:$y$j9T$newsalt$newhash:" in shadow
    ops = next(line for line in shadow.splitlines() if line.startswith("ops:"))
    assert ops.split(":")[4] == "365"


def test_the_engine_waits_for_a_useradd_that_holds_the_account_lock_then_gives_up(tmp_path):
    root = tmp_path / "root"
    system = prepare(root)
    holder = subprocess.Popen(
        [
            "python3",
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(root / 'etc/.pwd.lock')!r}, os.O_WRONLY | os.O_CREAT, 0o600)\n"
            "fcntl.lockf(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(float(sys.argv[1]))\n",
            "1.5",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    lock = locks.AccountLock(make_host(system))
    with pytest.raises(locks.LockBusy, match=r"account files are locked by another program \(/etc/.pwd.lock"):
        lock.acquire(timeout=0.3)
    started = time.monotonic()
    lock.acquire(timeout=10)  # the holder lets go after 1.5 s
    assert lock.held and time.monotonic() - started < 5
    lock.release()
    holder.wait(timeout=10)


def test_a_user_a_package_adds_during_apt_is_kept(tmp_path):
    """chrony's postinst adds _chrony: the account files are read after apt has run."""
    root = tmp_path / "root"
    system = prepare(root)
    passwd = system.read("/etc/passwd") + "_chrony:x:100:65534::/var/lib/chrony:/usr/sbin/nologin\n"
    shadow = system.read("/etc/shadow") + "_chrony:!:19000::::::\n"
    system.shipped["chrony"] = {"/etc/passwd": passwd, "/etc/shadow": shadow}
    controls = [control("package", {"name": "chrony", "state": "present"}, "LZ-T-000"), *CATALOG]

    report = Engine(make_host(system, run_id="with-chrony")).run(controls, "apply")

    assert [r["status"] for r in report["results"]] == ["fixed"] * 6
    assert "_chrony:x:100:65534::/var/lib/chrony:/usr/sbin/nologin" in system.read("/etc/passwd")
    assert "_chrony:!:19000" in system.read("/etc/shadow")
    assert "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin" in system.read("/etc/passwd")


# ---- SIGKILL at each commit step ----------------------------------------------------------


def count_steps(tmp_path):
    root = tmp_path / "count"
    prepare(root)
    code, report = run_child(tmp_path, {"root": str(root), "run_id": "count"})
    assert code == 0
    return report["steps"]


def kill_and_recover(tmp_path, kill_before, applied):
    root = tmp_path / f"killed-{kill_before}"
    system = prepare(root)
    before = snapshot(root)

    code, _ = run_child(tmp_path, {"root": str(root), "run_id": "t1-killed", "kill_before": kill_before})

    assert code == -9
    after_kill = snapshot(root)
    leftovers = [p for p in old_or_new(after_kill, before, applied) if p not in applied and p not in before]
    torn = [p for p in old_or_new(after_kill, before, applied) if p not in leftovers]
    assert torn == [], f"killed before step {kill_before}: torn files {torn}"
    assert all(p.rsplit("/", 1)[-1].startswith(".lz-") for p in leftovers), leftovers
    written = manifest(root, "t1-killed")
    changed = [p for p in after_kill if after_kill[p] != before.get(p)] + [p for p in before if p not in after_kill]
    if changed:  # write-ahead: whatever changed is covered by the record
        assert written and written["state"] in ("committing", "committed")

    report = Engine(make_host(system, run_id="t2-next")).run(CATALOG, "apply")

    # The next run leaves the host as an undisturbed apply would, and says what it did.
    assert snapshot(root) == applied
    recovered = report["recovered"]
    if written is None or written["state"] == "committed":
        assert recovered == []
    else:
        plan = written["plan"]
        all_new = all(applied.get(p.lstrip("/"), (None,))[0] == after_kill.get(p.lstrip("/"), (None,))[0] for p in plan)
        assert [o["outcome"] for o in recovered] == ["completed" if all_new else "rolled back"]
        assert manifest(root, "t1-killed")["recovered"]["outcome"] == recovered[0]["outcome"]
    undo = [o["rollback_run"] for o in recovered if o.get("rollback_run")]
    roll_back_all(system, ["t2-next", *undo, "t1-killed"])
    assert snapshot(root) == before


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_sigkill_at_a_commit_step_then_the_next_run_recovers(tmp_path, where):
    steps = count_steps(tmp_path)
    kill_before = {"first": 1, "middle": steps // 2, "last": steps}[where]
    kill_and_recover(tmp_path, kill_before, applied_state(tmp_path))


@pytest.mark.slow
def test_sigkill_at_every_commit_step_then_the_next_run_recovers(tmp_path):
    steps = count_steps(tmp_path)
    applied = applied_state(tmp_path)
    assert steps > 10
    for kill_before in range(1, steps + 1):
        kill_and_recover(tmp_path, kill_before, applied)


# ---- a full disk at each step ---------------------------------------------------------------


def full_disk_run(tmp_path, free_pages, applied):
    source = tmp_path / f"source-{free_pages}"
    prepare(source)
    before = snapshot(source)
    mountpoint, out = tmp_path / f"tmpfs-{free_pages}", tmp_path / f"out-{free_pages}"
    mountpoint.mkdir()
    out.mkdir()
    spec = {
        "root": str(mountpoint),
        "run_id": "t1-full",
        "full_disk": {"source": str(source), "copy_out": str(out), "free_pages": free_pages},
    }
    code, report = run_child(tmp_path, spec, prefix=("unshare", "-m", "--propagation", "private"))
    assert code == 0, f"{free_pages} free pages: the engine crashed on a full disk"
    after = snapshot(out)

    # Every file old or new, no temporary file left, and whatever is new is in the record.
    assert old_or_new(after, before, applied) == []
    written = manifest(out, "t1-full")
    changed = sorted(p for p in after if after[p] != before.get(p))
    if changed:
        covered = {p.lstrip("/") for p in [*written["replaced"], *written["created"]]}
        covered |= {m["path"].lstrip("/") for m in written["metadata"]}
        assert set(changed) <= covered
    if after != applied:
        assert report["failed"] is True

    system = FakeSystem(out)
    Engine(make_host(system, run_id="t2-next")).run(CATALOG, "apply")
    assert snapshot(out) == applied
    roll_back_all(system, ["t2-next", "t1-full"])
    assert snapshot(out) == before
    shutil.rmtree(source)
    return after == applied


@pytest.mark.parametrize("free_pages", [0, 4])
def test_a_full_disk_leaves_every_file_old_or_new_with_its_rollback_record(tmp_path, free_pages):
    full_disk_run(tmp_path, free_pages, applied_state(tmp_path))


@pytest.mark.slow
def test_a_full_disk_at_every_step(tmp_path):
    applied = applied_state(tmp_path)
    completed = [full_disk_run(tmp_path, pages, applied) for pages in range(0, 12)]
    print("free pages -> whole apply:", dict(enumerate(completed)))
    assert completed[0] is False and completed[-1] is True  # the range spans failure to success
