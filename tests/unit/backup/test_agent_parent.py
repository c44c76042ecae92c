"""The backup agent names the parent of each backup itself: the snapshot it made last, by its own
record. restic's own choice (the newest snapshot of the host in the repository) is the client's
word, which a compromised client forges, and which one garbage snapshot file breaks for good."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _restic_manifest
from keeper_harness import BackupServer
from restic_harness import PASSWORD, REPO, restic
from role_script import load_role_script
from test_keeper_attacks import CLIENTS, http

AGENT = REPO / "roles" / "backup_agent" / "files" / "landingzone-backup"


@functools.cache
def agent_program():
    return load_role_script(AGENT, "landingzone_backup_agent_parent", beside={"manifest": _restic_manifest})


@pytest.fixture
def agent(tmp_path, template_repository, monkeypatch):
    """The agent's program, configured as the role configures it, backing up to a loopback server."""
    server = BackupServer(tmp_path / "server", CLIENTS, template_repository).start()
    data = tmp_path / "data"
    (data / "records").mkdir(parents=True)
    (data / "records" / "register.csv").write_text("id;name\n1;An Peeters\n")
    config = {
        "host": "app1",
        "include": [str(data)],
        "exclude": [],
        "databases": [],
        "autodetect_databases": False,
        "dump_dir": str(tmp_path / "dumps"),
        "manifest": str(tmp_path / "manifest.jsonl"),
        "cacert": "",
        "fact_file": str(tmp_path / "backup.fact"),
        "rpo_minutes": 60,
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    program = agent_program()
    monkeypatch.setattr(program, "CONFIG", str(tmp_path / "config.json"))
    monkeypatch.setenv("RESTIC_REPOSITORY", server.url("app1"))
    monkeypatch.setenv("RESTIC_PASSWORD", PASSWORD)
    monkeypatch.setenv("RESTIC_CACHE_DIR", str(tmp_path / "cache"))
    yield program, server, data, Path(config["fact_file"])
    server.stop()


def snapshots(server):
    return {s["id"]: s for s in json.loads(server.client("app1", "snapshots", "--json").stdout)}


def test_a_future_dated_snapshot_is_never_the_agents_parent(agent):
    program, server, data, fact = agent
    assert program.run() == 0
    first = json.loads(fact.read_text())["last_snapshot"]["id"]
    forged = server.backup("app1", data, "--time", "2031-01-01 00:00:00")
    assert program.run() == 0
    second = json.loads(fact.read_text())["last_snapshot"]["id"]
    listed = snapshots(server)
    made = next(s for sid, s in listed.items() if sid.startswith(second))
    assert made["parent"].startswith(first) and not made["parent"].startswith(forged[:8])


def test_a_garbage_snapshot_file_does_not_stop_the_next_backup(agent):
    program, server, _, fact = agent
    assert program.run() == 0
    garbage = b"ransomware was here"
    assert http(server, "POST", f"/app1/snapshots/{hashlib.sha256(garbage).hexdigest()}", garbage) == 200
    # restic left to choose its parent gives up on the garbage.
    assert server.client("app1", "backup", str(fact.parent / "manifest.jsonl"), check=False).returncode != 0
    assert program.run() == 0
    assert json.loads(fact.read_text())["last_run"]["status"] == "ok"


def test_without_a_record_of_its_own_the_agent_reads_every_file(agent):
    program, server, _, fact = agent
    assert program.run() == 0
    recorded = json.loads(fact.read_text())
    # The record names a snapshot the server's retention has since forgotten.
    recorded["last_snapshot"]["id"] = "deadbeef"
    fact.write_text(json.dumps(recorded))
    assert program.run() == 0
    assert len(snapshots(server)) == 2


@pytest.mark.parametrize("prune", [False, True], ids=["forgotten", "forgotten-and-pruned"])
def test_a_parent_the_server_removed_is_left_out_and_said(agent, capsys, prune):
    """The server's retention (or an operator's prune) forgets the snapshot the agent recorded as its
    last: the next backup reads every file instead of failing on the missing parent, and says why."""
    program, server, _, fact = agent
    assert program.run() == 0
    recorded = json.loads(fact.read_text())["last_snapshot"]["id"]
    full = next(sid for sid in snapshots(server) if sid.startswith(recorded))
    # As the keeper does it: on the server's own copy of the repository, not through the REST server.
    restic(server.root / "app1", "forget", full, *(["--prune"] if prune else []))
    assert not snapshots(server)
    capsys.readouterr()
    assert program.run() == 0
    written = json.loads(fact.read_text())
    assert written["last_run"]["status"] == "ok"
    made = next(s for sid, s in snapshots(server).items() if sid.startswith(written["last_snapshot"]["id"]))
    assert "parent" not in made
    assert f"recorded parent {recorded}" in capsys.readouterr().err
