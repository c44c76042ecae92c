"""The keeper's verification on real repositories: a damaged pack makes the snapshots that need it
unreadable (kept, never counted as good), and a failure it cannot pin to packs puts the repository
in doubt, which stops the retention from deleting anything there."""

from __future__ import annotations

import datetime
import hashlib
import os
from pathlib import Path

import pytest
from keeper_harness import BackupServer
from restic_harness import restic
from test_keeper_attacks import CLIENTS, judged

NOW = datetime.datetime.now(datetime.UTC)


@pytest.fixture
def server(tmp_path, template_repository):
    """Two snapshots of app1 written straight into its repository (arrived two and one days ago):
    the first of a large file of its own, the second of another."""
    backup_server = BackupServer(
        tmp_path / "server",
        CLIENTS,
        template_repository,
        retention={
            "keep_daily": 1,
            "keep_weekly": 0,
            "keep_monthly": 0,
            "keep_yearly": 0,
            "keep_last_good": 1,
            "min_hold_days": 1,
        },  # fmt: skip
    )
    repository = backup_server.root / "app1"
    made = []
    for number, days in ((1, 2), (2, 1)):
        data = tmp_path / f"data{number}"
        data.mkdir()
        (data / "scan.bin").write_bytes(os.urandom(2_000_000))
        packs_before = set(repository.glob("data/*/*"))
        arrival = NOW - datetime.timedelta(days=days)
        claimed = (arrival - datetime.timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
        restic(repository, "backup", "--host", "app1", "--time", claimed, str(data))
        snapshot = max((repository / "snapshots").iterdir(), key=lambda p: p.stat().st_mtime_ns).name
        backup_server.arrive("app1", snapshot, arrival)
        made.append((snapshot, set(repository.glob("data/*/*")) - packs_before))
    backup_server.made = made
    return backup_server


def damage(pack: Path):
    pack.chmod(0o600)
    with open(pack, "r+b") as handle:
        handle.seek(100)
        handle.write(b"ransomware")


def test_a_damaged_pack_makes_its_snapshot_unreadable_kept_and_never_good(server):
    (first, first_packs), (second, _) = server.made
    # The large file's data pack, not its small tree pack.
    damage(max(first_packs, key=lambda p: p.stat().st_size))
    done = server.keeper("verify", "--subset", "1/1", check=False)
    assert done.returncode == 1 and "ALERT verification of app1 (1/1) found errors" in done.stderr
    index = server.index("app1")
    assert index["snapshots"][first]["unreadable"]["packs"]
    assert index["snapshots"][second]["unreadable"] is None
    assert index["checks"][-1]["ok"] is False and index["doubt"] is None
    server.keeper("retention")
    index = server.index("app1")
    assert index["snapshots"][first]["removed"] is None  # kept for repair, though beyond the policy
    assert judged(server, rpo_minutes=3 * 1440)["latest_good"]["id"] == second[:8]


def test_a_failure_that_names_no_pack_puts_the_repository_in_doubt_and_retention_deletes_nothing(server):
    garbage = b"not an index"
    (server.root / "app1" / "index" / hashlib.sha256(garbage).hexdigest()).write_bytes(garbage)
    assert server.keeper("verify", "--subset", "1/1", check=False).returncode == 1
    assert server.index("app1")["doubt"]["message"]
    done = server.keeper("retention", check=False)
    assert done.returncode == 1 and "nothing is deleted from a repository in doubt" in done.stderr
    assert all(entry["removed"] is None for entry in server.index("app1")["snapshots"].values())
    assert judged(server, rpo_minutes=3 * 1440)["landingzone_evidence"]["record"]["last_check_ok"] is False


def test_a_sound_repository_passes_a_rotating_subset(server):
    done = server.keeper("verify")
    assert "check --read-data-subset=1/1: no errors" in done.stdout  # the harness reads it all: one part
    assert server.index("app1")["checks"][-1]["ok"] is True
