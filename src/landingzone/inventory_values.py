"""Inventory values that land in rendered files, checked before any host is touched.

The roles pass these variables through the encoder of the file they land in (sshd_config,
unit files, chrony, nginx, the VPN gateway's files), and the encoder refuses what the file
cannot hold. But a role renders on the host, so other roles may already have run by then. So
`validate`, `plan`, `apply` and every fleet command check the same values in the
municipality's inventory files (hosts.yml, group_vars, host_vars) first, with the same
encoders, and name the file and the field. Calendar events and time spans are also read by
the controller's `systemd-analyze`: a value made of word characters that is no calendar
would be carried as one word, and the timer would never fire.

A value that is a template (``{{ … }}``) points at another variable and is left to the
encoder on the host.
"""

import functools
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

from ansible_collections.cyberveilig.landingzone.plugins.module_utils._vpn import gateway_values
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.host_word import host_word, https_base_url
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.json_schema_subset import shown
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.sshd_encoding import sshd_group
from ansible_collections.cyberveilig.landingzone.plugins.plugin_utils.systemd_encoding import unit_word, unit_words

from landingzone.card import CARD_FILE
from landingzone.errors import LandingzoneError
from landingzone.runner.secret_values import VaultText, inventory_files, load_yaml
from landingzone.runner.vault import decrypt

Check = Callable[[object, str], object]


def _host(value, field: str):
    try:
        return host_word(value)
    except ValueError:
        raise ValueError(f"{field}: {shown(value)} is not a host name or an IP address") from None


@functools.cache
def _systemd_reads(kind: str, text: str) -> bool:
    """Whether ``systemd-analyze calendar|timespan`` reads ``text``; True where it is not installed."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        return True
    done = subprocess.run([tool, kind, "--", text], capture_output=True, check=False, timeout=30)
    return done.returncode == 0


def _systemd_value(kind: str, what: str) -> Check:
    def check(value, field: str):
        text = unit_words(value, field)
        if not _systemd_reads(kind, text):
            raise ValueError(f"{field}: {shown(value)} is not a {what} systemd reads")
        return text

    return check


calendar = _systemd_value("calendar", "calendar event")
timespan = _systemd_value("timespan", "time span")


def _optional(check: Check) -> Check:
    """Empty means the role's own default."""
    return lambda value, field: value if value == "" else check(value, field)


def _each(check: Check) -> Check:
    def checked(values, field: str):
        if not isinstance(values, list):
            raise ValueError(f"{field}: {shown(values)} is not a list")
        return [check(value, f"{field}[{index}]") for index, value in enumerate(values)]

    return checked


def _log_collector(value, field: str):
    if not isinstance(value, dict):
        raise ValueError(f"{field}: {shown(value)} is not a mapping of host and port")
    return _optional(_host)(value.get("host", ""), f"{field}.host")


def _networks(values, field: str):
    if not isinstance(values, list):
        raise ValueError(f"{field}: {shown(values)} is not a list")
    return gateway_values.local_networks(values, field)


# Each variable a role writes into a file, with the encoder that file's template uses.
CHECKS: dict[str, Check] = {
    "linux_baseline_operator_group": sshd_group,
    # Not written into sshd's files, but the same shape: a Debian group name (sudo's owner group).
    "linux_baseline_sudo_group": sshd_group,
    "linux_baseline_ssh_extra_allow_groups": _each(sshd_group),
    "linux_baseline_ntp_servers": _each(_host),
    "linux_baseline_log_collector": _log_collector,
    "citizen_portal_server_name": _host,
    "backup_agent_server_url": https_base_url,
    "backup_agent_on_calendar": _optional(calendar),
    "backup_agent_randomized_delay": _optional(timespan),
    "backup_server_index_on_calendar": calendar,
    "backup_server_verify_on_calendar": calendar,
    "backup_server_retention_on_calendar": calendar,
    "backup_server_offsite_on_calendar": calendar,
    "backup_server_user": unit_word,
    "backup_server_keeper_user": unit_word,
    "backup_server_repository_root": unit_word,
    "log_collector_storage_dir": unit_word,
    "log_collector_seal_schedule": calendar,
    "vpn_gateway_interface": gateway_values.interface_name,
    "vpn_gateway_ipsec_interface": lambda value, field: gateway_values.interface_name(value, field, optional=True),
    "vpn_gateway_endpoint": gateway_values.endpoint,
    "vpn_gateway_ipsec_id": gateway_values.ike_identity,
    "vpn_gateway_ipsec_local_networks": _networks,
}


def _is_template(value) -> bool:
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, dict):
        return any(_is_template(item) for item in value.values())
    if isinstance(value, list):
        return any(_is_template(item) for item in value)
    return False


def variables_set(data, names, field: str = "") -> Iterator[tuple[str, str, object]]:
    """(variable, field, value) of every variable of ``names`` that an inventory file's ``data``
    sets, wherever it sets it: at the top of a group_vars file, under a host or a group's ``vars``
    in hosts.yml."""
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{field}.{key}" if field else str(key)
            if key in names:
                yield str(key), where, value
            else:
                yield from variables_set(value, names, where)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from variables_set(value, names, f"{field}[{index}]")


def check_file(path: Path, password: str | None) -> None:
    """LandingzoneError naming the file and the field of the first value its file would refuse."""
    for variable, field, value in variables_set(load_yaml(path, password), CHECKS):
        vaulted = isinstance(value, VaultText)
        if vaulted:
            value = decrypt(password, value, f"{path}: {field}")
        if _is_template(value):
            continue
        try:
            CHECKS[variable](value, field)
        except ValueError as exc:
            # A vault-encrypted value never reaches a message, whatever it is.
            reason = f"{field}: its vault-encrypted value is refused by the encoder of its file" if vaulted else exc
            raise LandingzoneError(f"{path}: {reason}") from None


def check_inventory(municipality_dir: Path, password: str | None) -> None:
    """Every inventory file of the municipality but its card (which its schema checks)."""
    for path in inventory_files(municipality_dir):
        if path.name != CARD_FILE:
            check_file(path, password)
