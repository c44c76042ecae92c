"""Which SSH host keys a municipality trusts, and how every ssh the landing zone runs is held to it.

Trust lives in one OpenSSH known_hosts file per municipality, beside its inventory:
``<fleet>/<municipality>/known_hosts``. It holds the municipality's SSH host CA as an
``@cert-authority`` line and the keys that CA once signed and that are now revoked. The
file is written by `landingzone host-keys` (a fleet) or by `landingzone lab up` (a lab);
a municipality without one trusts no host.

The options below put ssh in strict mode against that file only: an unknown or changed
key ends the connection before authentication, so before anything (a module, its secret
arguments) is sent. No prompt, no key learned on first use, no key a host offers later,
no other file. Placed first on the command line they cannot be loosened by what comes
after: ssh keeps the first value it reads for an option, and an inventory's
ansible_ssh_common_args, its ``-F`` ssh_config or `ansible_host_key_checking: false` all
come later.
"""

from pathlib import Path

from landingzone.errors import LandingzoneError

KNOWN_HOSTS = "known_hosts"
# ssh writes this when it refuses a host key, whatever the reason (unknown, changed, revoked,
# a certificate of another authority or for another name).
REFUSAL = "Host key verification failed"


def known_hosts_of(inventory_dir: Path) -> Path:
    return inventory_dir / KNOWN_HOSTS


def config_value(path: Path) -> str:
    """A path as ssh_config reads it: quoted against spaces, % escaped from token expansion."""
    text = str(path)
    if '"' in text:
        raise LandingzoneError(f"{text}: ssh cannot be given a path with a double quote in it")
    return f'"{text.replace("%", "%%")}"'


def strict_options(known_hosts: Path) -> list[tuple[str, str]]:
    return [
        ("StrictHostKeyChecking", "yes"),
        ("UserKnownHostsFile", config_value(known_hosts)),
        # The controller's own trust store must not vouch for a municipality's host.
        ("GlobalKnownHostsFile", "/dev/null"),
        ("KnownHostsCommand", "none"),
        # A host may not add keys to the file, nor DNS vouch for one.
        ("UpdateHostKeys", "no"),
        ("VerifyHostKeyDNS", "no"),
    ]


def ssh_arguments(known_hosts: Path) -> list[str]:
    """The options as ssh's command-line arguments."""
    return [argument for option, value in strict_options(known_hosts) for argument in ("-o", f"{option}={value}")]


def ssh_config_lines(known_hosts: Path) -> list[str]:
    """The options as lines of a Host block of an ssh_config."""
    return [f"    {option} {value}" for option, value in strict_options(known_hosts)]


def known_hosts_text(header: str, authority_line: str, revoked: list[str] = ()) -> str:
    """A known_hosts that trusts every host certificate of the authority (its public key
    line) and no revoked key."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines.append(f"@cert-authority * {authority_line}")
    lines += [f"@revoked * {key}" for key in revoked]
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Readers (a run starting) see the old file or the new one, never half of one."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
