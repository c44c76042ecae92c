"""The log collector in its AppArmor profile on a real kernel: a smoke make test runs.

The collector's files are rendered by the log_collector role's own templates on the controller
(its configuration, unit and profile, the unit naming the profile as the role writes it where
AppArmor runs) and put in place in one go, with the account, directories and sender's period the
role makes (the sealer's own `prepare`); under TCG, the role's round trips would cost minutes. The
VM is its own single sender, with a certificate of a test CA: one line sent over TLS lands in the
sender's file through the confined collector, and the collector's reading a file outside its
profile is refused and logged in the profile's name. The VM is the one the smokes share
(conftest.py: hardened_vm); AppArmor's tools come from the packages the backup smoke uses.
"""

from __future__ import annotations

import json
import uuid

import pytest
from apparmor_vm import assert_denied_and_logged, assert_enforced, denials, record_aa_status
from backup_vm import downloaded_debs, make_pki, put_in_place, sh
from lab_vm import HOST, ROOT
from role_render import render

pytestmark = [pytest.mark.vm, pytest.mark.vm_smoke]
PROFILE = "landingzone-log-collector"
CONFIG = "/etc/landingzone-log-collector"
STORAGE = "/var/log/remote"
PORT = 6514
SEALER = ROOT / "roles" / "log_collector" / "files" / "landingzone-log-seal"
CHAIN = ROOT / "plugins" / "module_utils" / "_log_chain.py"

SETUP = f"""
set -e
command -v apparmor_parser >/dev/null || dpkg -i /var/cache/lz-collector-debs/apparmor_*.deb >/dev/null
getent group lz-logcollector >/dev/null || groupadd --system lz-logcollector
id lz-logcollector >/dev/null 2>&1 || useradd --system --gid lz-logcollector --shell /usr/sbin/nologin \\
  --home-dir /nonexistent --no-create-home lz-logcollector
chown root:lz-logcollector {CONFIG} {CONFIG}/* && chmod 0750 {CONFIG} && chmod 0640 {CONFIG}/*
install -d -o root -g lz-logcollector -m 0750 {STORAGE}
install -d -o lz-logcollector -g lz-logcollector -m 0750 /var/lib/landingzone-log-collector
/usr/local/sbin/landingzone-log-seal --storage {STORAGE} --group lz-logcollector prepare {HOST}
apparmor_parser -r /etc/apparmor.d/{PROFILE}
systemctl daemon-reload
systemctl start landingzone-log-collector.service
for i in $(seq 100); do ss -ltn | grep -q ':{PORT} ' && break; sleep 0.3; done
"""


def files(pki: dict) -> dict[str, tuple[bytes, int]]:
    variables = {"log_collector_senders": {HOST: PORT}}
    unit = render(
        "log_collector", "landingzone-log-collector.service.j2", log_collector_apparmor={"enforcing": True}, **variables
    )
    rendered = {
        f"{CONFIG}/rsyslog.conf": (render("log_collector", "collector.conf.j2", **variables), 0o640),
        f"{CONFIG}/ca.crt": (pki["ca.crt"], 0o640),
        f"{CONFIG}/collector.crt": (pki[f"{HOST}.crt"], 0o640),
        f"{CONFIG}/collector.key": (pki[f"{HOST}.key"], 0o640),
        "/etc/systemd/system/landingzone-log-collector.service": (unit, 0o644),
        f"/etc/apparmor.d/{PROFILE}": (render("log_collector", f"apparmor-{PROFILE}.j2", **variables), 0o644),
        # The sender's side: its certificate, for openssl s_client.
        "/root/lz-sender/ca.crt": (pki["ca.crt"], 0o600),
        "/root/lz-sender/sender.crt": (pki[f"{HOST}.crt"], 0o600),
        "/root/lz-sender/sender.key": (pki[f"{HOST}.key"], 0o600),
    }
    found = {path: (text.encode(), mode) for path, (text, mode) in rendered.items()}
    found["/usr/local/sbin/landingzone-log-seal"] = (SEALER.read_bytes(), 0o755)
    found["/usr/local/lib/landingzone-log-collector/log_chain.py"] = (CHAIN.read_bytes(), 0o644)
    for deb in sorted(downloaded_debs().glob("apparmor_*.deb")):
        found[f"/var/cache/lz-collector-debs/{deb.name}"] = (deb.read_bytes(), 0o644)
    return found


@pytest.fixture(scope="module")
def collector_vm(hardened_vm):
    pki = make_pki(hardened_vm.workdir / "collector-pki", HOST)
    put_in_place(hardened_vm, files(pki))
    sh(hardened_vm, SETUP, timeout=600)
    return hardened_vm


def test_a_line_sent_over_tls_lands_in_the_senders_file_through_the_confined_collector(collector_vm):
    marker = f"marker-{uuid.uuid4()}"
    line = f"<13>Nov 28 12:00:00 {HOST} lztest: {marker}"
    sh(
        collector_vm,
        f"printf '%s\\n' '{line}' | timeout 20 openssl s_client -quiet -no_ign_eof -connect 127.0.0.1:{PORT} "
        "-CAfile /root/lz-sender/ca.crt -cert /root/lz-sender/sender.crt -key /root/lz-sender/sender.key "
        ">/dev/null 2>&1 || true",
        timeout=120,
    )
    stored = sh(
        collector_vm,
        f"for i in $(seq 60); do grep -F -- {marker} {STORAGE}/{HOST}/current.log && break; sleep 0.5; done; true",
    )
    assert stored.strip(), sh(collector_vm, "journalctl -u landingzone-log-collector.service --no-pager | tail -20")
    assert json.loads(stored.splitlines()[0])["sender"] == HOST


def test_the_collector_runs_in_its_apparmor_profile_without_a_denial(collector_vm):
    status = record_aa_status(collector_vm, "log-collector-smoke")
    assert_enforced(collector_vm, status, PROFILE, "landingzone-log-collector.service")
    assert denials(collector_vm, PROFILE) == []


def test_the_collectors_profile_refuses_a_file_outside_it_and_logs_it(collector_vm):
    # The host's password hashes: readable to root, nothing the collector has to do with.
    assert_denied_and_logged(collector_vm, PROFILE, "/usr/sbin/rsyslogd -N1 -f /etc/shadow", "/etc/shadow")
