"""A thin wrapper around the podman command with the lab's configuration."""

import json
import shutil
import subprocess
from pathlib import Path

from landingzone.errors import LandingzoneError
from landingzone.paths import podman_env


class Podman:
    """Runs podman with the repository's containers.conf."""

    def __init__(self, root: Path):
        if shutil.which("podman") is None:
            raise LandingzoneError(
                "podman is not installed: run `make setup` (it installs the Debian packages podman and runc)"
            )
        self.env = podman_env(root)

    def run(
        self, *args: str, check: bool = True, input_bytes: bytes | None = None, stdin=None
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["podman", *args],
            env=self.env,
            input=input_bytes,
            stdin=stdin,
            capture_output=True,
            check=False,
        )
        if check and result.returncode != 0:
            message = result.stderr.decode(errors="replace").strip() or result.stdout.decode(errors="replace").strip()
            raise LandingzoneError(f"podman {' '.join(args[:2])} failed: {message}", exit_code=3)
        return result

    def text(self, *args: str) -> str:
        return self.run(*args).stdout.decode().strip()

    def exists(self, kind: str, name: str) -> bool:
        """Whether a container, network or image of that name exists."""
        return self.run(kind, "exists", name, check=False).returncode == 0

    def inspect(self, kind: str, name: str) -> dict | None:
        result = self.run(kind, "inspect", name, check=False)
        if result.returncode != 0:
            return None
        data = json.loads(result.stdout or b"[]")
        return data[0] if data else None
