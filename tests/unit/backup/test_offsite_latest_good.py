"""Which snapshot a restore from the offsite copy takes, when the backup server is gone: the latest
good one by the server's arrival index, which the keeper sends with every copy, never the newest by
the client's own claim. Real restic repositories: a client's snapshots through rclone's append-only
REST server, the keeper's index and offsite copy (to a local repository), and the module on that copy.
"""

from __future__ import annotations

import datetime
import json

import pytest
from keeper_harness import BackupServer
from restic_harness import PASSWORD, restic, run_module
from test_keeper_attacks import CLIENTS, stamp, write_data

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@pytest.fixture
def server(tmp_path, template_repository):
    backup_server = BackupServer(tmp_path / "server", {"app1": CLIENTS["app1"]}, template_repository).start()
    keys = tmp_path / "offsite-keys.json"
    keys.write_text(json.dumps({"access_key_id": "unused", "secret_access_key": "unused-too"}))
    offsite = tmp_path / "offsite"
    backup_server.configure(
        offsite={
            "enabled": True,
            "repository_prefix": str(offsite),
            "region": "us-east-1",
            "credentials_file": str(keys),
        },
        clients=["app1"],
    )
    made, _ = run_module(
        "restic_repository", repository=str(offsite / "app1"), password=PASSWORD,
        init_from_repository=str(backup_server.root / "app1"),
    )  # fmt: skip
    assert made["failed"] is False and made["initialised"] is True, made
    backup_server.copy = offsite / "app1"
    try:
        yield backup_server
    finally:
        backup_server.stop()


def latest_good(copy):
    result, raw = run_module("restic_offsite_latest_good", repository=str(copy), password=PASSWORD, client="app1")
    assert PASSWORD not in raw
    return result


def copies_by_original(copy) -> dict:
    found = json.loads(restic(copy, "snapshots", "--json", "--host", "app1").stdout)
    return {snapshot["original"]: snapshot for snapshot in found}


def test_a_future_dated_snapshot_is_passed_over_for_the_latest_good_one_by_arrival(server, tmp_path):
    data = tmp_path / "data"
    genuine_content = write_data(data, 0)
    genuine = server.backup("app1", data, "--time", stamp(NOW - datetime.timedelta(minutes=2)))
    # Ransomware on the client: an empty snapshot that claims to be a year newer, the newest by restic's "latest".
    empty = tmp_path / "empty"
    empty.mkdir()
    forged = server.backup("app1", empty, "--time", stamp(NOW + datetime.timedelta(days=365)))
    server.keeper("offsite")
    copies = copies_by_original(server.copy)
    assert set(copies) == {genuine, forged}
    newest = max(copies.values(), key=lambda snapshot: snapshot["time"])
    assert newest["original"] == forged, "the attack is real: the newest by its own time is the forged one"

    chosen = latest_good(server.copy)
    assert chosen["failed"] is False and chosen["chosen_by"] == "arrival", chosen
    assert chosen["snapshot"] == copies[genuine]["id"] and chosen["original"] == genuine
    assert datetime.datetime.fromisoformat(chosen["arrival"]) <= datetime.datetime.now(datetime.UTC)
    (passed,) = chosen["passed_over"]
    assert passed["original"] == forged and "in the future of its arrival" in passed["why"], passed
    # The chosen copy restores what the genuine backup held, byte for byte.
    restic(server.copy, "restore", chosen["snapshot"], "--target", str(tmp_path / "restored"))
    restored = tmp_path / "restored" / data.relative_to("/")
    assert {str(p.relative_to(restored)): p.read_bytes() for p in restored.rglob("*") if p.is_file()} == genuine_content


def test_a_snapshot_copied_before_the_server_indexed_it_is_not_chosen(server, tmp_path):
    """The index sent with a copy is the one of the copy's start: a snapshot it does not know has no arrival."""
    data = tmp_path / "data"
    write_data(data, 0)
    indexed = server.backup("app1", data, "--time", stamp(NOW - datetime.timedelta(minutes=2)))
    server.keeper("offsite")
    write_data(data, 1)
    unknown = server.backup("app1", data, "--time", stamp(NOW - datetime.timedelta(minutes=1)))
    # Copied by restic alone, without the keeper: in the copy, but in no index sent with it.
    restic(server.copy, "copy", "--from-repo", str(server.root / "app1"), "--from-password-file",
           str(server.passwords / "app1"))  # fmt: skip
    copies = copies_by_original(server.copy)
    assert set(copies) == {indexed, unknown}
    chosen = latest_good(server.copy)
    assert chosen["chosen_by"] == "arrival" and chosen["original"] == indexed, chosen


def test_a_copy_without_an_index_falls_back_to_the_newest_and_says_so(server, tmp_path):
    data = tmp_path / "data"
    write_data(data, 0)
    server.backup("app1", data)
    restic(server.copy, "copy", "--from-repo", str(server.root / "app1"), "--from-password-file",
           str(server.passwords / "app1"))  # fmt: skip
    chosen = latest_good(server.copy)
    assert chosen["failed"] is False and chosen["chosen_by"] == "newest" and chosen["snapshot"] == "latest", chosen
    assert "no arrival index" in chosen["msg"]


def test_an_index_of_another_client_is_refused_with_where_it_was_read(server, tmp_path):
    """Whoever could write the copy cannot pass another client's arrivals off as this one's."""
    data = tmp_path / "data"
    write_data(data, 0)
    server.backup("app1", data)
    server.keeper("offsite")
    other = tmp_path / "index" / "app1.json"
    other.parent.mkdir()
    index = json.loads((server.index_dir / "app1.json").read_text())
    other.write_text(json.dumps({**index, "client": "app2"}))
    restic(server.copy, "backup", "--host", "landingzone-arrival-index", str(other))
    chosen = latest_good(server.copy)
    assert chosen["failed"] is True and "holds the arrivals of 'app2', not of 'app1'" in chosen["msg"], chosen
    assert str(server.copy) in chosen["msg"]


def test_a_bad_client_name_is_refused_before_restic_runs(tmp_path):
    result, _ = run_module(
        "restic_offsite_latest_good", repository=str(tmp_path / "none"), password=PASSWORD, client="../app1"
    )
    assert result["failed"] is True and result["msg"].startswith("client: '../app1' is not a client name")
