"""The single door through which the engine runs external commands.

Handlers never call subprocess themselves: unit tests swap this runner for a fake that
plays sshd, systemctl, apt-get, nft and friends, and everything else runs for real.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass


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
        environment = dict(os.environ, PATH=self.PATH, LC_ALL="C")
        environment.update(env or {})
        try:
            completed = subprocess.run(
                list(argv),
                input=stdin,
                capture_output=True,
                text=True,
                env=environment,
                timeout=self.timeout,
                check=False,
            )
        except FileNotFoundError:
            return CommandResult(127, "", f"{argv[0]}: command not found")
        except subprocess.TimeoutExpired:
            return CommandResult(124, "", f"{argv[0]}: timed out after {self.timeout}s")
        return CommandResult(completed.returncode, completed.stdout, completed.stderr)
