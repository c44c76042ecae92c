"""Sealed log files chain each period to the one before, and the check finds every way of breaking it.

Real files on this machine's ext4, sealed by the role's own sealer; the attacks are what root on a
collector could do to its history (root can lift the immutable flag), each tried for real.
"""

from __future__ import annotations

import json
import os
import stat

import pytest
from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _log_chain
from log_storage import Storage, kernel_keeps_flags, lift_flags

HEAD = _log_chain.HEAD


@pytest.fixture
def storage():
    made = Storage()
    yield made
    made.remove()


def three_periods(storage: Storage, sender: str = "gem-app1") -> list:
    storage.prepare(sender)
    for period in range(3):
        storage.write(sender, *(f"period {period} line {n}" for n in range(4)))
        storage.seal()
    return storage.sealed(sender)


def test_each_period_records_the_hash_of_the_one_before(storage):
    files = three_periods(storage)
    assert [f.name for f in files] == ["20250301T000000Z.log", "20250301T010000Z.log", "20250301T020000Z.log"]
    seals = [_log_chain.read_seal(f) for f in files]
    assert seals[0]["previous_file"] is None and seals[0]["previous_sha256"] is None
    for before, seal in zip(files, seals[1:], strict=False):
        assert seal["previous_file"] == before.name
        assert seal["previous_sha256"] == _log_chain.sha256_of(before)
    assert _log_chain.read_head(files[0].parent) == {"file": files[-1].name, "sha256": _log_chain.sha256_of(files[-1])}
    # The period's own lines come first, whole, and the seal is the last line.
    lines = files[1].read_text().splitlines()
    assert [json.loads(line)["message"] for line in lines[:-1]] == [f"period 1 line {n}" for n in range(4)]
    report = storage.check("gem-app1")
    assert report["chain_ok"] is True, report["problems"]
    assert (report["sealed_files"], report["first"], report["head"]) == (3, files[0].name, files[-1].name)


def test_sealed_files_are_read_only_root_files_and_immutable_where_the_kernel_allows(storage):
    for path in three_periods(storage):
        info = path.stat()
        assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (0, 0, 0o440)
        if kernel_keeps_flags(storage.root):
            assert _log_chain.inode_flags(path) & _log_chain.IMMUTABLE


def test_an_empty_period_is_not_sealed_and_sealing_twice_changes_nothing(storage):
    storage.prepare("gem-app1")
    assert storage.seal() == []
    storage.write("gem-app1", "one line")
    assert storage.seal() == ["gem-app1/20250301T010000Z.log"]
    assert storage.seal() == []
    assert storage.check("gem-app1")["chain_ok"] is True


def _remove_a_line(files):
    lift_flags(files[0])
    lines = files[0].read_text().splitlines(keepends=True)
    files[0].write_text("".join(lines[:1] + lines[2:]))


def _change_a_line_of_the_newest(files):
    lift_flags(files[-1])
    files[-1].write_text(files[-1].read_text().replace("period 2 line 1", "period 2 line X"))


def _add_a_line(files):
    lift_flags(files[1])
    text = files[1].read_text()
    files[1].write_text('{"sender": "gem-app1", "message": "planted"}\n' + text)


def _remove_the_seal(files):
    lift_flags(files[1])
    lines = files[1].read_text().splitlines(keepends=True)
    files[1].write_text("".join(lines[:-1]))


def _delete_a_middle_file(files):
    lift_flags(files[1])
    files[1].unlink()


def _delete_the_first_file(files):
    lift_flags(files[0])
    files[0].unlink()


def _delete_the_newest_file(files):
    lift_flags(files[-1])
    files[-1].unlink()


def _plant_a_sealed_looking_file(files):
    forged = files[0].with_name("20250301T003000Z.log")
    forged.write_bytes(files[0].read_bytes())
    forged.chmod(0o440)


def _rewrite_the_head(files):
    head = files[0].parent / _log_chain.HEAD
    head.chmod(0o644)
    head.write_text(json.dumps({"file": files[1].name, "sha256": _log_chain.sha256_of(files[1])}))


def _leave_a_file_writable(files):
    lift_flags(files[1])
    files[1].chmod(0o640)


def _give_a_file_away(files):
    lift_flags(files[1])
    os.chown(files[1], 65534, 0)


def _swap_two_files(files):
    for path in files[:2]:
        lift_flags(path)
    first, second = files[0].read_bytes(), files[1].read_bytes()
    files[0].write_bytes(second)
    files[1].write_bytes(first)


@pytest.mark.parametrize(
    ("attack", "expected"),
    [
        (_remove_a_line, "20250301T000000Z.log was changed after it was sealed"),
        (
            _change_a_line_of_the_newest,
            f"20250301T020000Z.log was changed after it was sealed: its SHA-256 is not {HEAD}'",
        ),
        (_add_a_line, "20250301T010000Z.log was changed after it was sealed"),
        (_remove_the_seal, "20250301T010000Z.log does not end with its own seal"),
        (_delete_a_middle_file, "20250301T010000Z.log is missing: 20250301T020000Z.log names it"),
        (_delete_the_first_file, "20250301T000000Z.log is missing: 20250301T010000Z.log names it"),
        (_delete_the_newest_file, f"20250301T020000Z.log is missing: {HEAD} names it"),
        (_plant_a_sealed_looking_file, "20250301T003000Z.log is not on the chain"),
        (_rewrite_the_head, "20250301T020000Z.log is not on the chain"),
        (_leave_a_file_writable, "20250301T010000Z.log is writable after its seal"),
        (_give_a_file_away, "20250301T010000Z.log is writable after its seal (owner uid 65534"),
        (_swap_two_files, "20250301T010000Z.log was changed after it was sealed"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else "",
)
def test_the_check_reports_where_the_chain_breaks(storage, attack, expected):
    files = three_periods(storage)
    attack(files)
    report = storage.check("gem-app1")
    assert report["chain_ok"] is False
    assert any(problem.startswith(expected) for problem in report["problems"]), report["problems"]


def test_a_cut_short_last_line_does_not_swallow_the_seal(storage):
    storage.prepare("gem-app1")
    with open(storage.root / "gem-app1" / _log_chain.CURRENT, "a") as handle:
        handle.write('{"sender": "gem-app1", "message": "cut sh')
    [name] = storage.seal()
    path = storage.root / name
    assert path.read_text().splitlines()[0] == '{"sender": "gem-app1", "message": "cut sh'
    assert _log_chain.read_seal(path)["file"] == path.name
    assert storage.check("gem-app1")["chain_ok"] is True


def test_a_seal_interrupted_after_its_rename_is_finished_by_the_next_run(storage):
    files = three_periods(storage)
    # As if the sealer died between renaming the newest file and moving the head to it.
    head = files[0].parent / _log_chain.HEAD
    head.chmod(0o644)
    head.write_text(json.dumps({"file": files[1].name, "sha256": _log_chain.sha256_of(files[1])}))
    assert storage.check("gem-app1")["chain_ok"] is False
    storage.seal()
    assert storage.check("gem-app1")["chain_ok"] is True
    assert _log_chain.read_head(files[0].parent)["file"] == files[-1].name


def test_a_pending_period_that_already_carries_its_seal_is_not_sealed_twice(storage):
    storage.prepare("gem-app1")
    storage.write("gem-app1", "a line")
    directory = storage.root / "gem-app1"
    pending = directory / ("20250301T000000Z.log" + _log_chain.PENDING_SUFFIX)
    lift_flags(directory / _log_chain.CURRENT)
    os.rename(directory / _log_chain.CURRENT, pending)
    seal_line = {"landingzone_chain": {"sender": "gem-app1", "file": "20250301T000000Z.log"}}
    with open(pending, "a") as handle:
        handle.write(json.dumps(seal_line) + "\n")
    storage.seal()
    text = (directory / "20250301T000000Z.log").read_text()
    assert text.count("landingzone_chain") == 1


def test_senders_each_keep_a_chain_of_their_own(storage):
    storage.prepare("gem-app1", "gem-app2")
    storage.write("gem-app1", "from app1")
    storage.write("gem-app2", "from app2")
    assert sorted(storage.seal()) == ["gem-app1/20250301T000000Z.log", "gem-app2/20250301T000000Z.log"]
    _remove_a_line(storage.sealed("gem-app1"))
    assert storage.check("gem-app1")["chain_ok"] is False
    assert storage.check("gem-app2")["chain_ok"] is True
