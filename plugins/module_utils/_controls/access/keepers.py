"""Who must keep what: the accounts a run may never shut out, and their ways in.

- the operator account and the account the run is connected as keep SSH (from the
  management networks, with the address and port the session really uses) and sudo;
- the break-glass account keeps console login and sudo (it is console-only by design).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

SSH, SUDO, CONSOLE = "SSH", "sudo", "console login"
SSH_TRANSPORTS = ("ssh", "paramiko", "paramiko_ssh", "libssh")


@dataclass(frozen=True)
class Keeper:
    name: str
    why: str
    paths: tuple


@dataclass(frozen=True)
class Point:
    """Where an SSH login comes from and goes to."""

    addr: object
    port: int
    local: object = None

    def describe(self):
        return f"from {self.addr} to port {self.port}"


@dataclass
class Access:
    operator: str = ""
    operator_group: str = ""
    breakglass: str = ""
    connected: str = ""
    transport: str = ""
    become_method: str = ""
    become_password: bool = False
    management_networks: list = field(default_factory=list)
    ssh_port: int = 22
    session: object = None  # session.Session of this run, when it came over SSH

    # Module option names of the fields (the module's `access` suboptions).
    OPTIONS = {
        "operator_account": "operator",
        "operator_group": "operator_group",
        "breakglass_account": "breakglass",
        "connected_account": "connected",
        "transport": "transport",
        "become_method": "become_method",
        "become_password": "become_password",
        "management_networks": "management_networks",
        "ssh_port": "ssh_port",
    }

    @classmethod
    def from_params(cls, params, session=None):
        if not params:
            return None
        access = cls(**{field: params[o] for o, field in cls.OPTIONS.items() if params.get(o) is not None})
        access.session = session if access.over_ssh else None
        return access

    @property
    def over_ssh(self):
        return self.transport.rsplit(".", 1)[-1] in SSH_TRANSPORTS

    def login_accounts(self):
        """The accounts that keep SSH: operator and, over SSH, the connected one."""
        names = [self.operator, self.connected if self.over_ssh else ""]
        return [n for n in dict.fromkeys(names) if n]

    def exempt(self):
        """Never aged, inactivity-locked or faillocked: every account that must keep access."""
        connected = self.connected if self.over_ssh else ""
        return [n for n in dict.fromkeys([self.operator, connected, self.breakglass]) if n]

    def keepers(self):
        found = {}
        if self.operator:
            found[self.operator] = Keeper(self.operator, "the operator account", (SSH, SUDO))
        connected = self.connected if self.over_ssh else ""
        if connected and connected in found:
            found[connected] = Keeper(connected, "the operator account, which the run is connected as", (SSH, SUDO))
        elif connected:
            # Its sudo matters only when the run becomes root through it.
            sudo = (SUDO,) if self.become_method == "sudo" and connected != "root" else ()
            found[connected] = Keeper(connected, "the account the run is connected as", (SSH, *sudo))
        if self.breakglass and self.breakglass not in found:
            found[self.breakglass] = Keeper(self.breakglass, "the break-glass account", (CONSOLE, SUDO))
        return list(found.values())

    def points(self):
        """Where SSH logins must keep working from: the session itself, or each management network."""
        if self.session is not None:
            return [Point(self.session.client, self.session.server_port or self.ssh_port, self.session.server)]
        points = []
        for network in self.management_networks:
            net = ipaddress.ip_network(network, strict=False)
            addr = net.network_address if net.num_addresses == 1 else net.network_address + 1
            points.append(Point(addr, self.ssh_port))
        return points
