"""The fleet's vault password: where it comes from and how the job gets it.

The operator gives it as a file (--vault-password-file or
LANDINGZONE_VAULT_PASSWORD_FILE) or in LANDINGZONE_VAULT_PASSWORD. The CLI
decrypts with it in memory (cards, the PKI, secret scanning); ansible-playbook
asks the vault client script for it, which reads a private copy that lives only
as long as the fleet run.
"""

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from ansible.errors import AnsibleError
from ansible.parsing.vault import VaultLib, VaultSecret

from landingzone.errors import LandingzoneError

PASSWORD_FILE_ENV = "LANDINGZONE_VAULT_PASSWORD_FILE"
PASSWORD_ENV = "LANDINGZONE_VAULT_PASSWORD"
VAULT_ID_LABEL = "landingzone"
CLIENT_SCRIPT = Path(__file__).with_name("vault_client.py")
# RAM-backed where the system has it, so the private copy never reaches a disk.
PRIVATE_TMP = Path("/dev/shm")
PRIVATE_PREFIX = "landingzone-vault-"


def read_password(password_file: str | None, environ: Mapping[str, str] = os.environ) -> str | None:
    """The vault password, or None when none was given."""
    source = "--vault-password-file" if password_file else PASSWORD_FILE_ENV
    path = password_file or environ.get(PASSWORD_FILE_ENV)
    if path:
        try:
            password = Path(path).read_text(encoding="utf-8").splitlines()[0:1]
        except OSError as exc:
            raise LandingzoneError(f"{path}: {source}: cannot read the vault password file: {exc.strerror}") from None
        if not password or not password[0].strip():
            raise LandingzoneError(f"{path}: {source}: the vault password file is empty")
        return password[0].rstrip("\r\n")
    return environ.get(PASSWORD_ENV) or None


def vault_lib(password: str) -> VaultLib:
    return VaultLib([(VAULT_ID_LABEL, VaultSecret(password.encode()))])


def encrypt(password: str, plaintext: str) -> str:
    return vault_lib(password).encrypt(plaintext).decode()


def decrypt(password: str | None, ciphertext: str, where: str) -> str:
    """Plaintext of a vault value; `where` names the file and field for the error."""
    if password is None:
        raise LandingzoneError(
            f"{where}: is vault-encrypted: give --vault-password-file or set {PASSWORD_FILE_ENV} or {PASSWORD_ENV}"
        )
    try:
        return vault_lib(password).decrypt(ciphertext.strip()).decode()
    except AnsibleError:
        raise LandingzoneError(f"{where}: cannot be decrypted with the given vault password") from None


@contextlib.contextmanager
def password_file_for_jobs(password: str | None) -> Iterator[Path | None]:
    """A private copy of the password for the vault client, removed afterwards."""
    if password is None:
        yield None
        return
    base = PRIVATE_TMP if PRIVATE_TMP.is_dir() and os.access(PRIVATE_TMP, os.W_OK) else None
    remove_copies_of_dead_runs(Path(base or tempfile.gettempdir()))
    # The pid in the name lets a later command remove the copy of a CLI that was killed.
    directory = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-", dir=base))
    try:
        path = directory / "password"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(password + "\n")
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def remove_copies_of_dead_runs(base: Path) -> list[Path]:
    """Remove the password copies of CLI processes that no longer run (killed with SIGKILL,
    their ``finally`` never ran); returns what was removed."""
    removed = []
    for directory in base.glob(f"{PRIVATE_PREFIX}*-*"):
        pid = directory.name[len(PRIVATE_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or directory.is_symlink() or not directory.is_dir():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # still running: its copy is in use
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # another user's process
        shutil.rmtree(directory, ignore_errors=True)
        removed.append(directory)
    return removed


def vault_id_argument() -> str:
    return f"{VAULT_ID_LABEL}@{CLIENT_SCRIPT}"
