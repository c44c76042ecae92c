"""A lab VM as the tests drive it: SSH as the operator and Ansible playbooks.

The VM itself (qemu, overlay, port) is landingzone.lab.qemu; this adds what a
test needs on top: an inventory for Ansible, playbook runs with bounded time
and machine-readable results, and a reboot through Ansible.
"""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from landingzone.lab.qemu import OPERATOR, VirtualMachine

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = Path(__file__).resolve().parent / "playbooks"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
HOST = "lz-vm"
# What took how long, for the summary at the end of the run (see conftest.py).
TIMINGS: list[tuple[str, float]] = []


def record_timing(what: str, seconds: float) -> None:
    TIMINGS.append((what, seconds))


class PlaybookFailed(AssertionError):
    pass


@dataclass
class PlaybookRun:
    """What one ansible-playbook run did, from the json callback."""

    returncode: int
    report: dict
    log: Path
    seconds: float

    @property
    def stats(self) -> dict:
        return self.report.get("stats", {}).get(HOST, {})

    @property
    def changed(self) -> int:
        return self.stats.get("changed", 0)

    def task_results(self, task_name: str) -> list[dict]:
        """The host's results of every task of that name, in order."""
        found = []
        for play in self.report.get("plays", []):
            for task in play.get("tasks", []):
                if task["task"]["name"] == task_name and HOST in task["hosts"]:
                    found.append(task["hosts"][HOST])
        return found

    def engine_result(self) -> dict:
        """The host's result of the (last) linux_controls engine call of the run."""
        found = [
            task["hosts"][HOST]
            for play in self.report.get("plays", [])
            for task in play.get("tasks", [])
            if task["hosts"].get(HOST, {}).get("action", "").endswith("linux_controls")
        ]
        assert found, f"the engine (linux_controls) did not run; report: {self.log}"
        return found[-1]

    def changed_tasks(self) -> list[str]:
        return [
            task["task"]["name"]
            for play in self.report.get("plays", [])
            for task in play.get("tasks", [])
            if task["hosts"].get(HOST, {}).get("changed")
        ]

    def failures(self) -> str:
        lines = []
        for play in self.report.get("plays", []):
            for task in play.get("tasks", []):
                result = task["hosts"].get(HOST, {})
                if result.get("failed") or result.get("unreachable"):
                    message = result.get("msg") or result.get("stderr") or json.dumps(result)[:2000]
                    lines.append(f"  {task['task']['name']}: {message}")
                    # The engine fails the task for its controls in error: name them.
                    for control in result.get("results") or []:
                        if isinstance(control, dict) and control.get("status") in ("error", "fail"):
                            lines.append(f"    {control.get('id')} {control['status']}: {control.get('reason', '')}")
        return "\n".join(lines) or f"  (no failed task in the report; see {self.log})"


@dataclass
class LabVm:
    machine: VirtualMachine
    workdir: Path
    label: str
    runs: int = 0

    @property
    def inventory(self) -> Path:
        return self.workdir / "inventory.yml"

    @property
    def control_dir(self) -> Path:
        return self.workdir / "cp"

    def write_inventory(self, groups: tuple[str, ...] = ("linux",)) -> None:
        host = {
            "ansible_host": "127.0.0.1",
            "ansible_port": self.machine.port,
            "ansible_user": OPERATOR,
            "ansible_ssh_private_key_file": str(self.machine.private_key),
            "ansible_become": True,
            "ansible_python_interpreter": "/usr/bin/python3",
            # A new VM every run, on loopback only: there is no host key to pin.
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        }
        inventory = {"all": {"children": {group: {"hosts": {HOST: host}} for group in groups}}}
        self.inventory.write_text(json.dumps(inventory, indent=2), encoding="utf-8")

    def ssh(self, command: str, timeout: float = 120) -> str:
        return self.machine.ssh(command, timeout=timeout).stdout

    def ansible_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "PATH": f"{ANSIBLE_PLAYBOOK.parent}{os.pathsep}{env.get('PATH', '')}",
                "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
                # One JSON report on stdout. Naming it as the only enabled
                # callback keeps ansible.cfg's timing callback from printing into it.
                "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
                "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.json",
                # Facts and SSH masters of this VM only: another VM, same name, same port is not this one.
                "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(self.workdir / "facts"),
                "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.control_dir),
                "ANSIBLE_TIMEOUT": "30",
                "ANSIBLE_FORCE_COLOR": "0",
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_DEPRECATION_WARNINGS": "False",
            }
        )
        return env

    def playbook(
        self,
        playbook: Path,
        extra_vars: dict | None = None,
        *,
        timeout: float = 900,
        check_mode: bool = False,
        must_succeed: bool = True,
        extra_args: tuple[str, ...] = (),
    ) -> PlaybookRun:
        self.runs += 1
        name = f"{self.runs:02d}-{playbook.stem}"
        command = [str(ANSIBLE_PLAYBOOK), "-i", str(self.inventory), str(playbook), *extra_args]
        if extra_vars:
            vars_file = self.workdir / f"{name}-vars.json"
            vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
            command += ["-e", f"@{vars_file}"]
        if check_mode:
            command.append("--check")
        report_path = self.workdir / f"{name}.json"
        errors_path = self.workdir / f"{name}.log"
        started = time.monotonic()
        with open(report_path, "wb") as out, open(errors_path, "wb") as err:
            try:
                result = subprocess.run(
                    command,
                    cwd=ROOT,
                    env=self.ansible_env(),
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                raise PlaybookFailed(
                    f"{playbook.name} did not finish in {timeout:.0f} s; partial report: {report_path}"
                ) from None
        try:
            report = json.loads(report_path.read_text(encoding="utf-8") or "{}")
        except json.JSONDecodeError:
            report = {}
        run = PlaybookRun(result.returncode, report, report_path, time.monotonic() - started)
        record_timing(f"{self.label}: {name}{' --check' if check_mode else ''}", run.seconds)
        if must_succeed and result.returncode != 0:
            stderr_tail = "\n".join(errors_path.read_text(errors="replace").splitlines()[-20:])
            raise PlaybookFailed(
                f"{playbook.name} failed (exit {result.returncode}):\n{run.failures()}\n{stderr_tail}".rstrip()
            )
        return run

    def boot_id(self) -> str:
        return self.ssh("cat /proc/sys/kernel/random/boot_id").strip()

    def reboot(self) -> float:
        """Reboot through Ansible, as an operator would; returns the seconds it took."""
        before = self.boot_id()
        run = self.playbook(PLAYBOOKS / "reboot.yml", timeout=900)
        after = self.boot_id()
        assert after != before, "the VM did not reboot: its boot_id is unchanged"
        return run.seconds

    def close_ssh_masters(self) -> None:
        """Ansible's persistent SSH connections end with the VM; end them now so nothing outlives the test."""
        for socket_path in self.control_dir.glob("*"):
            subprocess.run(
                ["ssh", "-o", f"ControlPath={socket_path}", "-O", "exit", HOST],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=10,
                check=False,
            )
