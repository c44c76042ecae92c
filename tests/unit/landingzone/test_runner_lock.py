"""One run per municipality: a second one fails fast, in this process or another."""

import subprocess
import sys
import time

import pytest

from landingzone.runner.lock import MunicipalityBusy, MunicipalityLock


def test_a_second_run_on_the_same_municipality_fails_fast_with_exit_code_2(tmp_path):
    with MunicipalityLock(tmp_path, "gent"):
        started = time.monotonic()
        with pytest.raises(MunicipalityBusy) as busy:
            MunicipalityLock(tmp_path, "gent").acquire()
        assert time.monotonic() - started < 1
    assert busy.value.exit_code == 2
    assert "gent: another run is working on this municipality" in str(busy.value)
    assert "pid " in str(busy.value)


def test_other_municipalities_are_not_held_up(tmp_path):
    with MunicipalityLock(tmp_path, "gent"), MunicipalityLock(tmp_path, "aalst"):
        pass


def test_the_lock_is_free_again_after_release(tmp_path):
    lock = MunicipalityLock(tmp_path, "gent").acquire()
    lock.release()
    MunicipalityLock(tmp_path, "gent").acquire().release()


def test_a_lock_held_by_another_process_is_seen_and_dies_with_it(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from landingzone.runner.lock import MunicipalityLock;"
            f"MunicipalityLock(Path({str(tmp_path)!r}), 'gent').acquire(); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(MunicipalityBusy, match=f"pid {holder.pid}"):
            MunicipalityLock(tmp_path, "gent").acquire()
    finally:
        holder.kill()
        holder.wait()
    # The kernel dropped the dead holder's lock: no stale lock file blocks the next run.
    MunicipalityLock(tmp_path, "gent").acquire().release()
