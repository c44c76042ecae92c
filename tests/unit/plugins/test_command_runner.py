"""The engine's command runner with real processes: a timeout stops a command and everything it
started, and a package manager is never stopped halfway (dpkg would be left interrupted)."""

from __future__ import annotations

import time

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.runner import CommandRunner


def _gone(pid, within=5.0):
    """Whether the process has ended (or is only a zombie waiting for its reaper)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                if any(line.startswith("State:\tZ") for line in status):
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_a_timeout_stops_the_command_and_the_processes_it_started(tmp_path):
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()
    result = CommandRunner(timeout=1).run(["sh", "-c", f"sleep 60 & echo $! > {pidfile}; wait"])
    assert result.rc == 124 and "timed out after 1s" in result.stderr
    assert time.monotonic() - started < 30
    assert _gone(int(pidfile.read_text())), "the command's child still runs after its timeout"


def test_a_package_manager_runs_to_its_end_past_the_timeout(tmp_path):
    for name in ("apt-get", "dpkg"):
        manager = tmp_path / name
        manager.write_text("#!/bin/sh\nsleep 2\necho configured\n")
        manager.chmod(0o755)
        result = CommandRunner(timeout=1).run([str(manager), "install", "aide"])
        assert result.ok, f"{name} was stopped: {result.stderr}"
        assert result.stdout == "configured\n"


def test_stdin_reaches_the_command_and_no_stdin_means_an_empty_one():
    runner = CommandRunner(timeout=10)
    assert runner.run(["cat"], stdin="rules\n").stdout == "rules\n"
    # Without input a command reads an empty stdin rather than waiting on the module's own.
    assert runner.run(["cat"]).stdout == ""
