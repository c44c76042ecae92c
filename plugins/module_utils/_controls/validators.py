"""Check a candidate file with the tool that will read it, before it replaces the old one."""

from __future__ import annotations

import fnmatch
import os
import tempfile

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import accounts


def _with_temp_file(data, suffix, check):
    fd, temp_path = tempfile.mkstemp(prefix="lz-validate-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return check(temp_path)
    finally:
        os.unlink(temp_path)


def _command_verdict(result, tool):
    return "" if result.ok else f"{tool} rejected the candidate: {result.message()}"


def sshd(ctx, path, data):
    if path == "/etc/ssh/sshd_config":
        wrapper = data
    else:
        # sshd keeps the first value it reads, so the drop-in goes first and the real
        # main config (with everything else it includes) after it: the same order sshd
        # will see after the replace.
        main = ctx.path("/etc/ssh/sshd_config")
        wrapper = data + f"\nInclude {main}\n".encode()
    return _with_temp_file(
        wrapper, ".conf", lambda temp: _command_verdict(ctx.run(["sshd", "-t", "-f", temp]), "sshd -t")
    )


def sudoers(ctx, path, data):
    return _with_temp_file(data, "", lambda temp: _command_verdict(ctx.run(["visudo", "-c", "-f", temp]), "visudo -c"))


def nftables(ctx, path, data):
    return _with_temp_file(data, ".nft", lambda temp: _command_verdict(ctx.run(["nft", "-c", "-f", temp]), "nft -c"))


def rsyslog(ctx, path, data):
    # A drop-in is checked on its own: the main configuration it joins is unchanged.
    return _with_temp_file(
        data, ".conf", lambda temp: _command_verdict(ctx.run(["rsyslogd", "-N1", "-f", temp]), "rsyslogd -N1")
    )


def _account_file(fields):
    def check(ctx, path, data):
        problem = accounts.well_formed(data.decode("utf-8", "surrogateescape"), fields)
        return f"{path}: {problem}" if problem else ""

    return check


_BY_PATTERN = (
    ("/etc/ssh/sshd_config", sshd),
    ("/etc/ssh/sshd_config.d/*.conf", sshd),
    ("/etc/sudoers", sudoers),
    ("/etc/sudoers.d/*", sudoers),
    ("/etc/nftables.conf", nftables),
    ("/etc/rsyslog.conf", rsyslog),
    ("/etc/rsyslog.d/*.conf", rsyslog),
    ("/etc/passwd", _account_file(accounts.PASSWD_FIELDS)),
    ("/etc/shadow", _account_file(accounts.SHADOW_FIELDS)),
    ("/etc/group", _account_file(accounts.GROUP_FIELDS)),
)


def validator_for(path):
    for pattern, check in _BY_PATTERN:
        if fnmatch.fnmatch(path, pattern):
            return check
    return None
