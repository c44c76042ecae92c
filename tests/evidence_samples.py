"""Realistic runs for the evidence tests, built from the real baseline catalog.

Controls (ids, titles, levels, CyFun and CIS references) come from roles/linux_baseline/controls,
and every status the engine can return is spread over several hosts, so reports are tested on
data that looks like a real municipality's rather than on a hand-written blob.
"""

import copy
import datetime
import functools
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# Cycled over the controls, shifted per host: mostly passing, and every status on every host.
STATUS_PATTERN = (
    "pass",
    "pass",
    "fail",
    "pass",
    "fixed",
    "pass",
    "waived",
    "pass",
    "not_applicable",
    "pass",
    "error",
    "pass",
)
REASONS = {
    "fail": "the host differs from what the control expects",
    "error": "sshd -t rejected the candidate configuration",
    "not_applicable": "read-only /proc/sys in a container: the persistent setting is written",
    "waived": "waived until {expires} by {approver}",
    "fixed": "set in /etc/ssh/sshd_config.d/00-landingzone.conf",
    "pass": "",
}


@functools.cache
def _catalog() -> tuple[dict, ...]:
    # Parsed once per test session: the catalog is a few hundred controls of YAML.
    controls = []
    for area in sorted((ROOT / "roles" / "linux_baseline" / "controls").glob("*.yml")):
        controls.extend(next(iter(yaml.load(area.read_text(), Loader=yaml.CSafeLoader).values())))
    return tuple(controls)


def catalog_controls(count: int = 24) -> list[dict]:
    """Controls of the real catalog, taken in turn from each CyFun level so that all three are present."""
    by_level: dict[str, list[dict]] = {"basic": [], "important": [], "essential": []}
    for control in _catalog():
        by_level[control["level"]].append(copy.deepcopy(control))
    controls = []
    for index in range(count):
        pool = [level for level in by_level.values() if level]
        controls.append(pool[index % len(pool)].pop(0))
    return controls


def waiver_for(control_id: str, expires: str, state: str = "active") -> dict:
    return {
        "control": control_id,
        "justification": "The supplier's software needs this setting until its next release.",
        "approver": "Mira Claes (informatieveiligheidsconsulent)",
        "expires": expires,
        "compensating_measure": "Access limited to the management network; logs reviewed weekly.",
        "state": state,
    }


def engine_record(
    host: str, control: dict, status: str, timestamp: str, waiver: dict | None = None, edition: int = 2023
) -> dict:
    """A result as the linux_controls engine returns it, with the host the runner adds: the control's
    level in the edition it was selected in, and every reference the control cites."""
    reason = REASONS[status]
    if waiver:
        reason = reason.format(**waiver) if status == "waived" else f"{reason} (waiver expired on {waiver['expires']})"
    record = {
        "host": host,
        "id": control["id"],
        "title": control["title"],
        "level": control["level_2025" if edition == 2025 else "level"],
        "cyfun_edition": edition,
        "cyfun": control.get("cyfun", []),
        "cis": control.get("cis", []),
        "type": control["type"],
        "risk": control["risk"],
        "status": status,
        "changed": status in ("fixed", "fail") and control["type"] != "aide_database",
        "reason": reason,
        "evidence": {"found": "no" if status == "pass" else "yes", "expected": "no"},
        "diff": [],
        "reboot_required": status == "fixed" and control["type"] == "mount_option",
        "waiver": waiver,
        "timestamp": timestamp,
    }
    record.update({field: control[field] for field in ("cyfun_2025", "cis_debian13", "anssi") if control.get(field)})
    if status == "fixed":
        record["diff"] = [{"path": "/etc/ssh/sshd_config.d/00-landingzone.conf", "before": "", "after": "X no\n"}]
    return record


class SampleRun:
    """One run of a fictional municipality: reached hosts with results, and hosts that were not reached."""

    def __init__(
        self,
        *,
        ident: str = "20261128T100000Z-audit",
        kind: str = "audit",
        finished: datetime.datetime | None = None,
        hosts: tuple[str, ...] = ("gem-app1", "gem-app2", "gem-vpn1"),
        unreachable: tuple[str, ...] = ("gem-backup1",),
        controls: int = 24,
        edition: int = 2023,
    ):
        self.ident, self.kind, self.hosts, self.unreachable = ident, kind, hosts, unreachable
        self.edition = edition
        self.finished = finished or datetime.datetime(2026, 11, 28, 10, 5, tzinfo=datetime.UTC)
        self.controls = catalog_controls(controls)
        self.overrides: dict[tuple[str, str], str] = {}
        self.secrets: list[str] = []

    def set_status(self, host: str, control_id: str, status: str) -> "SampleRun":
        self.overrides[(host, control_id)] = status
        return self

    def status_of(self, host: str, index: int) -> str:
        control_id = self.controls[index]["id"]
        default = STATUS_PATTERN[(index + self.hosts.index(host)) % len(STATUS_PATTERN)]
        return self.overrides.get((host, control_id), default)

    def results(self) -> list[dict]:
        timestamp = self.finished.isoformat()
        expiry = (self.finished.date() + datetime.timedelta(days=120)).isoformat()
        soon = (self.finished.date() + datetime.timedelta(days=12)).isoformat()
        records = []
        for host in self.hosts:
            for index, control in enumerate(self.controls):
                status = self.status_of(host, index)
                waiver = None
                if status == "waived":
                    waiver = waiver_for(control["id"], soon if host == self.hosts[0] else expiry)
                records.append(engine_record(host, control, status, timestamp, waiver, self.edition))
        # An expired waiver: the control is enforced again and fails, with the old waiver shown.
        if records:
            expired = waiver_for(records[0]["id"], "2026-10-31", state="expired")
            records[0] = engine_record(self.hosts[0], self.controls[0], "fail", timestamp, expired, self.edition)
        return records

    def run(self) -> dict:
        hosts = {name: {"reachable": True, "failed": False, "message": ""} for name in self.hosts}
        hosts.update(
            {
                name: {"reachable": False, "failed": True, "message": "ssh: connect to host port 22: No route to host"}
                for name in self.unreachable
            }
        )
        return {
            "municipality": {"name": "gemtest", "display_name": "Gemeente Test", "nis_code": "99002"},
            "ident": self.ident,
            "kind": self.kind,
            "started": (self.finished - datetime.timedelta(minutes=5)).isoformat(),
            "finished": self.finished.isoformat(),
            "operator": "operator@controller",
            "project_commit": "0123456789abcdef0123456789abcdef01234567",
            "collection_version": "0.1.0",
            "ansible_core_version": "2.21.5",
            "catalog_hashes": {"roles/linux_baseline/controls/ssh.yml": "a" * 64},
            "hosts": hosts,
            "secrets": self.secrets,
        }
