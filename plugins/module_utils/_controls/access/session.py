"""The SSH session the run came in through: the address and the port it really uses."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Session:
    client: object  # ipaddress.IPv4Address or IPv6Address
    client_port: int
    server: object
    server_port: int

    def describe(self):
        return f"{self.client} to port {self.server_port}"


def _from_environ(environ):
    """SSH_CONNECTION is 'client port server port'; SSH_CLIENT is 'client port port'."""
    words = environ.get("SSH_CONNECTION", "").split()
    if words:
        return words
    words = environ.get("SSH_CLIENT", "").split()
    if len(words) == 3:
        return [words[0], words[1], "", words[2]]
    return words or None


def _from_ancestors(ctx):
    """sudo drops SSH_CONNECTION; the login shell it was started from still has it."""
    pid = os.getpid()
    for _ in range(16):
        status = ctx.read_text(f"/proc/{pid}/status") or ""
        ppids = [line.split()[1] for line in status.splitlines() if line.startswith("PPid:")]
        if not ppids or ppids[0] in ("0", "1"):
            return None
        pid = int(ppids[0])
        try:
            with open(ctx.path(f"/proc/{pid}/environ"), "rb") as handle:
                variables = dict(
                    item.split("=", 1) for item in handle.read().decode("utf-8", "replace").split("\0") if "=" in item
                )
        except OSError:
            continue
        words = _from_environ(variables)
        if words:
            return words
    return None


def _address(text):
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def parse(words):
    """A Session from SSH_CONNECTION's words (or SSH_CLIENT's, without the server side)."""
    if not words:
        return None
    client = _address(words[0])
    if client is None:
        return None
    client_port = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0
    server = _address(words[2]) if len(words) > 2 and words[2] else None
    server_port = int(words[3]) if len(words) > 3 and words[3].isdigit() else 0
    return Session(client, client_port, server, server_port)


def current_session(ctx):
    """The operator's SSH session, or None when the run does not come over SSH: the one the
    controller saw (ctx.access), else SSH_CONNECTION here or in an ancestor's environment."""
    told = getattr(ctx.access, "session", None) if getattr(ctx, "access", None) else None
    return told or parse(_from_environ(ctx.environ) or _from_ancestors(ctx))
