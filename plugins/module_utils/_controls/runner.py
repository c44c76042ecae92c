"""The single door through which the engine runs external commands.

Handlers never call subprocess themselves: unit tests swap this runner for a fake that
plays sshd, systemctl, apt-get, nft and friends, and everything else runs for real.
"""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass

# Package managers are never stopped halfway: apt-get killed in the middle of an install leaves
# dpkg interrupted, packages unpacked but not configured, and every later install refused until
# someone runs `dpkg --configure -a`. On a slow host (software emulation, a busy disk) an install
# can outlast any fixed bound; the play's own limits still apply around the whole module.
NEVER_STOPPED = frozenset({"apt-get", "dpkg"})


@dataclass(frozen=True)
class CommandResult:
    rc: int
    stdout: str
    stderr: str

    @property
    def ok(self):
        return self.rc == 0

    def message(self):
        """The most useful line(s) to show an operator when the command failed."""
        text = (self.stderr or self.stdout).strip()
        return text if text else f"exit code {self.rc}"


class CommandRunner:
    """Runs argv lists (never a shell) with a clean, predictable environment."""

    # sbin directories are not always on the PATH of a module run through sudo.
    PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    def __init__(self, timeout=1800):
        self.timeout = timeout

    def run(self, argv, env=None, stdin=None):
        argv = list(argv)
        environment = dict(os.environ, PATH=self.PATH, LC_ALL="C")
        environment.update(env or {})
        timeout = None if os.path.basename(argv[0]) in NEVER_STOPPED else self.timeout
        try:
            # A session of its own, so that a timeout stops the command's children too, never
            # leaving them running on after the engine has reported the command as stopped.
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=environment,
                start_new_session=True,
            )
        except FileNotFoundError:
            return CommandResult(127, "", f"{argv[0]}: command not found")
        try:
            stdout, stderr = process.communicate(input=stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            return CommandResult(124, "", f"{argv[0]}: timed out after {self.timeout}s")
        return CommandResult(process.returncode, stdout, stderr)
