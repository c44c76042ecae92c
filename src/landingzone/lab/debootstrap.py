"""Building a Debian root with debootstrap and a recipe's customize.sh, with a log
that a failure quotes: shared by the container images and the VM disk."""

import hashlib
import subprocess
from pathlib import Path

from landingzone.errors import LandingzoneError


def recipe_digest(directory: Path, suite: str, builder: Path) -> str:
    """The hash a built root is cached under: the recipe (recipe.yml, customize.sh),
    the code that builds it (`builder` and this module) and the suite."""
    sha = hashlib.sha256(suite.encode())
    for part in (directory / "recipe.yml", directory / "customize.sh", builder, Path(__file__)):
        sha.update(part.read_bytes())
    return sha.hexdigest()[:16]


def run_logged(command: list[str], log_file, what: str, label: str, hint: str) -> None:
    """Run one build step into the log; on failure, one error with the log's tail.

    `label` names the build ("image build"), `what` the step, `hint` what to do.
    """
    log_file.write(f"$ {' '.join(command)}\n".encode())
    log_file.flush()
    result = subprocess.run(command, stdout=log_file, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        log_file.flush()
        tail = Path(log_file.name).read_text(errors="replace").splitlines()[-15:]
        raise LandingzoneError(
            f"{label} failed while {what} (exit {result.returncode}); full log: {log_file.name}\n"
            + "\n".join("    " + line for line in tail)
            + f"\n{hint}"
        )


def bootstrap(
    recipe_dir: Path,
    variant: str,
    packages: tuple[str, ...],
    suite: str,
    mirror: str,
    rootfs: Path,
    log_file,
    label: str,
    hint: str,
) -> None:
    """debootstrap `suite` into `rootfs`, then run the recipe's customize.sh inside it."""
    run_logged(
        ["debootstrap", f"--variant={variant}", f"--include={','.join(packages)}", suite, str(rootfs), mirror],
        log_file,
        f"bootstrapping Debian {suite}",
        label,
        hint,
    )
    script = rootfs / "customize.sh"
    script.write_bytes((recipe_dir / "customize.sh").read_bytes())
    run_logged(
        ["chroot", str(rootfs), "/bin/sh", "/customize.sh"],
        log_file,
        "running customize.sh in the new root",
        label,
        hint,
    )
    script.unlink()
