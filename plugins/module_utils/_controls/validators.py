"""Check a candidate file with the tool that will read it, before it replaces the old one."""

from __future__ import annotations

import fnmatch
import os
import tempfile

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls import accounts, fileops


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


RSYSLOG_MAIN = "/etc/rsyslog.conf"
RSYSLOG_DROPINS = "/etc/rsyslog.d"


def rsyslog(ctx, path, data):
    """Checks the whole configuration as rsyslogd will read it after the replace: the
    main file and every drop-in, with the candidate in place of the file it replaces
    (a drop-in on its own has no actions, and rsyslogd refuses that)."""
    with tempfile.TemporaryDirectory(prefix="lz-validate-rsyslog-") as temp:
        dropins = os.path.join(temp, "rsyslog.d")
        os.mkdir(dropins)
        real_dropins = ctx.path(RSYSLOG_DROPINS)
        names = sorted(os.listdir(real_dropins)) if os.path.isdir(real_dropins) else []
        for name in names:
            if name.endswith(".conf") and os.path.join(RSYSLOG_DROPINS, name) != path:
                with (
                    open(os.path.join(real_dropins, name), "rb") as src,
                    open(os.path.join(dropins, name), "wb") as dst,
                ):
                    dst.write(src.read())
        if path == RSYSLOG_MAIN:
            main = data
        else:
            with open(os.path.join(dropins, os.path.basename(path)), "wb") as dst:
                dst.write(data)
            main = fileops.read_bytes(ctx.path(RSYSLOG_MAIN)) or b""
        main = main.replace(f"{RSYSLOG_DROPINS}/".encode(), f"{dropins}/".encode())
        main_path = os.path.join(temp, "rsyslog.conf")
        with open(main_path, "wb") as handle:
            handle.write(main)
        return _command_verdict(ctx.run(["rsyslogd", "-N1", "-f", main_path]), "rsyslogd -N1")


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
