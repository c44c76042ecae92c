"""The strict host key options, as OpenSSH itself resolves them (`ssh -G`): placed first,
nothing an inventory adds after them loosens them."""

import subprocess
from pathlib import Path

import pytest

from landingzone.errors import LandingzoneError
from landingzone.ssh_host_ca import new_authority, public_line
from landingzone.ssh_trust import known_hosts_text, ssh_arguments, ssh_config_lines, write_atomically


def _resolved(*args) -> dict[str, str]:
    """ssh's effective options for a connection to `gent-app1` with these arguments."""
    output = subprocess.run(["ssh", "-G", *args, "gent-app1"], capture_output=True, text=True, check=True).stdout
    return {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in output.splitlines() if " " in line}


def _assert_strict(options: dict[str, str], known_hosts: Path) -> None:
    assert options["stricthostkeychecking"] == "true"
    assert options["userknownhostsfile"] == str(known_hosts)
    assert options["globalknownhostsfile"] == "/dev/null"
    assert options["updatehostkeys"] == "false"
    assert options["verifyhostkeydns"] == "false"
    assert "knownhostscommand" not in options


def test_what_an_inventory_adds_later_cannot_loosen_the_options(tmp_path):
    known_hosts = tmp_path / "gent" / "known_hosts"
    # What an inventory might say: in its ssh_config (-F), its ansible_ssh_common_args, or
    # through `ansible_host_key_checking: false` (which Ansible turns into -o after ssh_args).
    config = tmp_path / "ssh_config"
    config.write_text(
        "Host *\n    StrictHostKeyChecking no\n    UserKnownHostsFile /dev/null\n"
        "    KnownHostsCommand /bin/echo gent-app1 ssh-ed25519 AAAA\n    UpdateHostKeys yes\n"
    )
    loosening = [
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "GlobalKnownHostsFile=/etc/ssh/ssh_known_hosts",
        "-o", "KnownHostsCommand=/bin/cat",
        "-o", "VerifyHostKeyDNS=yes",
        "-F", str(config),
    ]  # fmt: skip
    _assert_strict(_resolved(*ssh_arguments(known_hosts), *loosening), known_hosts)
    # The reason they go first: placed after, the same options lose.
    assert _resolved(*loosening, *ssh_arguments(known_hosts))["stricthostkeychecking"] == "false"


def test_an_ssh_config_block_says_the_same(tmp_path):
    known_hosts = tmp_path / "known_hosts"
    config = tmp_path / "ssh_config"
    config.write_text("\n".join(["Host gent-app1", *ssh_config_lines(known_hosts), ""]))
    _assert_strict(_resolved("-F", str(config)), known_hosts)


@pytest.mark.parametrize("name", ["a fleet with spaces", "100%-fleet", "%d%h"])
def test_a_path_reaches_ssh_as_it_is(tmp_path, name):
    known_hosts = tmp_path / name / "known_hosts"
    _assert_strict(_resolved(*ssh_arguments(known_hosts)), known_hosts)
    config = tmp_path / "ssh_config"
    config.write_text("\n".join(["Host gent-app1", *ssh_config_lines(known_hosts), ""]))
    _assert_strict(_resolved("-F", str(config)), known_hosts)


def test_a_path_with_a_double_quote_is_refused(tmp_path):
    with pytest.raises(LandingzoneError, match=r"with a double quote"):
        ssh_arguments(tmp_path / 'say "hi"' / "known_hosts")


def test_the_known_hosts_trusts_the_authority_for_any_name_and_no_revoked_key(tmp_path):
    authority, revoked = new_authority(), public_line(new_authority())
    text = known_hosts_text("Trust of gent\nsecond line", public_line(authority), [revoked])
    assert text.splitlines() == [
        "# Trust of gent",
        "# second line",
        f"@cert-authority * {public_line(authority)}",
        f"@revoked * {revoked}",
    ]
    path = tmp_path / "known_hosts"
    write_atomically(path, text)
    write_atomically(path, text)
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["known_hosts"]
    # OpenSSH reads it: the authority is found for any host name.
    found = subprocess.run(
        ["ssh-keygen", "-F", "any-host.example", "-f", str(path)], capture_output=True, text=True, check=False
    )
    assert found.returncode == 0 and "@cert-authority" in found.stdout
