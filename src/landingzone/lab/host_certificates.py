"""A lab host's SSH host key, vouched for by the lab's SSH host CA.

The lab reads each container's host key through podman, its own channel into the
container rather than the network a man in the middle would sit on, signs it for the
host's name and lab address, and puts the certificate where sshd presents it. The
municipality's known_hosts, written here as well, trusts that CA and nothing else. So
`lab up` makes every host trusted, a drill's empty host is trusted from the moment it
starts, and a container whose key changes afterwards is refused until the lab certifies
it again.
"""

import datetime
from pathlib import Path

from landingzone.errors import LandingzoneError
from landingzone.lab.podman import Podman
from landingzone.ssh_host_ca import (
    HOST_CERTIFICATE_PATH,
    HOST_KEY_PATH,
    SSHD_DROPIN_PATH,
    load_authority,
    new_authority,
    private_key_bytes,
    public_line,
    read_certificate,
    sign_host_key,
)
from landingzone.ssh_trust import known_hosts_text, write_atomically

AUTHORITY_FILE = "ssh_host_ca"
# A certificate this close to its end is made anew by the next `lab up`.
RENEW_MARGIN = datetime.timedelta(days=1)
# The first line of a known_hosts the lab wrote: the lab replaces or removes only such a file.
MARK = "The lab's SSH host CA: written by `landingzone lab up`, removed by `landingzone lab down`."

INSTALL_SCRIPT = f"""set -eu
umask 022
cat > {HOST_CERTIFICATE_PATH}.new
mv -f {HOST_CERTIFICATE_PATH}.new {HOST_CERTIFICATE_PATH}
umask 077
printf 'HostCertificate {HOST_CERTIFICATE_PATH}\\n' > {SSHD_DROPIN_PATH}.new
mv -f {SSHD_DROPIN_PATH}.new {SSHD_DROPIN_PATH}
/usr/sbin/sshd -t
systemctl reload ssh
"""


def lab_authority(state_dir: Path):
    """The lab's SSH host CA, made on the first `lab up` and kept in its state directory."""
    path = state_dir / AUTHORITY_FILE
    if path.exists():
        return load_authority(path.read_bytes(), str(path))
    authority = new_authority()
    path.touch(mode=0o600)
    path.write_bytes(private_key_bytes(authority))
    return authority


def _is_the_labs(path: Path) -> bool:
    return path.is_file() and path.read_text(encoding="utf-8").startswith(f"# {MARK}")


def write_known_hosts(path: Path, municipality: str, authority) -> None:
    if path.exists() and not _is_the_labs(path):
        raise LandingzoneError(
            f"{path}: this municipality's known_hosts was not written by the lab; the lab will not replace "
            "the trust of real hosts (a lab municipality needs a directory of its own)"
        )
    header = f"{MARK}\nIt trusts the lab {municipality}'s hosts, and nothing else."
    write_atomically(path, known_hosts_text(header, public_line(authority, f"landingzone lab {municipality}")))


def remove_known_hosts(path: Path) -> bool:
    if not _is_the_labs(path):
        return False
    path.unlink()
    return True


def _read(podman: Podman, container: str, path: str) -> str:
    result = podman.run("exec", container, "cat", path, check=False)
    return result.stdout.decode(errors="replace").strip() if result.returncode == 0 else ""


def certify(
    podman: Podman,
    authority,
    municipality: str,
    container: str,
    names: list[str],
    lifetime: datetime.timedelta | None = None,
) -> bool:
    """Sign the container's ed25519 host key for these names and have its sshd present the
    certificate; nothing changes when the one in place says the same. True when it changed."""
    host_key = _read(podman, container, HOST_KEY_PATH)
    if not host_key:
        raise LandingzoneError(f"{container}: no SSH host key at {HOST_KEY_PATH}: is sshd installed?", exit_code=3)
    current = _read(podman, container, HOST_CERTIFICATE_PATH)
    authority_line = public_line(authority)
    if current:
        try:
            info = read_certificate(current, f"{container}:{HOST_CERTIFICATE_PATH}")
        except LandingzoneError:
            info = None
        if info and info.valid_for(authority_line, host_key, names, int(RENEW_MARGIN.total_seconds())):
            return False
    certificate = sign_host_key(authority, host_key, names, f"{municipality}/{container}", lifetime, container)
    installed = podman.run(
        "exec", "-i", container, "sh", "-c", INSTALL_SCRIPT, input_bytes=certificate.encode() + b"\n", check=False
    )
    if installed.returncode != 0:
        message = installed.stderr.decode(errors="replace").strip()
        raise LandingzoneError(f"{container}: could not install its SSH host certificate: {message}", exit_code=3)
    return True
