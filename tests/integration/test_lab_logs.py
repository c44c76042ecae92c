"""The demo municipality's central logs, end to end: a first `landingzone apply` (site.yml) on a
fresh lab, then every lab host's own line lands on the collector in the file of its own
certificate's name, with no hand step in between. (The molecule scenario `default` proves the
chain of sealed files and its audit, and site.yml checks the chains at the end of the collector's
play.)

The municipality is the demo's inventory and card under another name and subnet (logdemo), so
that this proof never takes the containers of `demo`, which the restore drill uses: it runs
beside the drill under two pytest workers.

Slow (the whole site.yml on five hosts): `make test-slow` runs it; `make test` keeps the molecule
scenario `default`, which proves the collector's mechanics on one container per Debian release.
"""

import json
import time
import uuid

import pytest
from demo_copy import copy_of_demo
from lab_cli import BIN, ROOT, landingzone, podman, run

PASSWORD_FILE = ROOT / "lab" / "demo-vault-password"
MUNICIPALITY = "logdemo"
SUBNET_OCTET = 77
COLLECTOR = f"{MUNICIPALITY}-log1"
HOSTS = tuple(f"{MUNICIPALITY}-{host}" for host in ("app1", "app2", "backup1", "log1", "vpn1"))
STORE = "/var/log/remote"
# The whole site.yml on five hosts, and an audit of them: beyond the CLI helper's 10 minutes
# on a busy machine.
RUN_TIMEOUT = 45 * 60
# Every sender tried the collector before the collector's play ran, and tries again at least once
# a minute (LZ-LOG-011's action.resumeIntervalMax): twice that, for a busy machine.
ARRIVAL_SECONDS = 120


@pytest.fixture(scope="module")
def applied_copy_of_demo(tmp_path_factory):
    """A fleet of its own (runs and evidence land there) whose municipality is the demo's copy, applied once."""
    fleet = tmp_path_factory.mktemp("fleet")
    copy_of_demo(fleet, MUNICIPALITY, SUBNET_OCTET)
    try:
        up = landingzone(fleet, "lab", "up", MUNICIPALITY)
        assert up.returncode == 0, up.stdout + up.stderr
        applied = run(
            [
                BIN / "landingzone",
                "--fleet",
                str(fleet),
                "--vault-password-file",
                str(PASSWORD_FILE),
                "apply",
                MUNICIPALITY,
            ],
            timeout=RUN_TIMEOUT,
        )
        assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr[-3000:]
        yield fleet
    finally:
        landingzone(fleet, "lab", "down", MUNICIPALITY)


def _stored(marker: str) -> dict[str, list[dict]]:
    found = podman("exec", COLLECTOR, "sh", "-c", f"grep -rlF -- {marker} {STORE} || true").split()
    return {
        path: [json.loads(line) for line in podman("exec", COLLECTOR, "cat", path).splitlines() if marker in line]
        for path in found
    }


@pytest.mark.lab
@pytest.mark.slow
def test_every_lab_host_forwards_into_its_own_file_after_the_first_apply(applied_copy_of_demo):
    # Right after the first apply, with no hand step: no restart of any rsyslog.
    markers = {host: f"marker-{host}-{uuid.uuid4()}" for host in HOSTS}
    for host, marker in markers.items():
        podman("exec", host, "logger", "--tag", "lztest", "--", marker)
    deadline = time.monotonic() + ARRIVAL_SECONDS
    while time.monotonic() < deadline and not all(_stored(marker) for marker in markers.values()):
        time.sleep(2)
    for host, marker in markers.items():
        stored = _stored(marker)
        assert list(stored) == [f"{STORE}/{host}/current.log"], (host, stored)
        assert stored[f"{STORE}/{host}/current.log"][0]["sender"] == host
