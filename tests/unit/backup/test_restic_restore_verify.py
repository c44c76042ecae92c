"""restic_restore_verify: a restore compared byte for byte, mode and owner with the backup-time manifest."""

import os

from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _restic_manifest as manifest
from restic_harness import PASSWORD, restic, run_module


def make_tree(root):
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "register.csv").write_text("id;name\n1;An\n")
    (root / "docs" / "secret.key").write_bytes(os.urandom(4096))
    (root / "docs" / "secret.key").chmod(0o600)
    os.chown(root / "docs" / "register.csv", 1234, 5678)
    (root / "link").symlink_to("docs/register.csv")
    return root


def back_up(repository, tmp_path, change_after_manifest=None):
    data = make_tree(tmp_path / "srv" / "data")
    state = tmp_path / "state"
    state.mkdir()
    manifest_path = state / "manifest.jsonl"
    manifest.write(str(manifest_path), [str(data)])
    if change_after_manifest:
        change_after_manifest(data)
    restic(repository, "backup", "--host", "app1", str(data), str(manifest_path))
    return data, manifest_path


def verify(repository, tmp_path, data, manifest_path, **extra):
    scratch_parent = tmp_path / "scratch"
    scratch_parent.mkdir(exist_ok=True)
    result, raw = run_module(
        "restic_restore_verify",
        repository=str(repository),
        password=PASSWORD,
        host="app1",
        paths=[str(data)],
        manifest_path=str(manifest_path),
        scratch_parent=str(scratch_parent),
        **extra,
    )
    assert list(scratch_parent.iterdir()) == [], "the scratch directory must be removed"
    return result, raw


def test_untouched_backup_verifies(repository, tmp_path):
    data, manifest_path = back_up(repository, tmp_path)
    result, _ = verify(repository, tmp_path, data, manifest_path)
    assert result["failed"] is False and result["verified"] is True
    assert result["checked"] == 5 and result["mismatch_count"] == 0
    assert result["restored_bytes"] == len("id;name\n1;An\n") + 4096
    assert result["landingzone_evidence"]["section"] == "backup"
    assert result["landingzone_evidence"]["record"]["verified"] is True
    assert result["landingzone_evidence"]["record"]["verdict"] == "pass"


def test_content_mode_and_owner_differences_are_each_reported(repository, tmp_path):
    def tamper(data):
        (data / "docs" / "register.csv").write_text("id;name\n1;Bo\n")
        (data / "docs" / "secret.key").chmod(0o644)

    data, manifest_path = back_up(repository, tmp_path, change_after_manifest=tamper)
    result, _ = verify(repository, tmp_path, data, manifest_path)
    assert result["failed"] is True and result["verified"] is False
    problems = {(m["path"].rsplit("/", 1)[-1], m["problem"]) for m in result["mismatches"]}
    assert problems == {("register.csv", "sha256"), ("secret.key", "mode")}
    assert result["landingzone_evidence"]["record"]["verdict"] == "fail"
    relaxed, _ = verify(repository, tmp_path, data, manifest_path, fail_on_mismatch=False)
    assert relaxed["failed"] is False and relaxed["mismatch_count"] == 2


def test_snapshot_without_manifest_cannot_be_verified(repository, tmp_path):
    data = make_tree(tmp_path / "plain")
    restic(repository, "backup", "--host", "app1", str(data))
    result, _ = verify(repository, tmp_path, data, tmp_path / "missing.jsonl")
    assert result["failed"] is True and result["error"]["kind"] == "no_manifest"
    assert result["landingzone_evidence"]["record"]["verdict"] == "error"


def test_wrong_password_is_reported_without_leaking(repository, tmp_path):
    data, manifest_path = back_up(repository, tmp_path)
    scratch_parent = tmp_path / "scratch"
    scratch_parent.mkdir()
    result, raw = run_module(
        "restic_restore_verify",
        repository=str(repository),
        password="definitely-wrong",
        host="app1",
        manifest_path=str(manifest_path),
        scratch_parent=str(scratch_parent),
    )
    assert result["failed"] is True and result["error"]["kind"] == "wrong_password"
    assert "definitely-wrong" not in raw
    assert list(scratch_parent.iterdir()) == []


def test_restore_to_puts_the_files_back_on_an_empty_host_and_keeps_them(repository, tmp_path):
    data, manifest_path = back_up(repository, tmp_path)
    empty_host = tmp_path / "empty-host"
    args = dict(repository=str(repository), password=PASSWORD, host="app1", paths=[str(data)])
    args.update(manifest_path=str(manifest_path), restore_to=str(empty_host))
    predicted, _ = run_module("restic_restore_verify", check_mode=True, **args)
    assert predicted["changed"] is True and predicted["failed"] is False
    assert "would restore snapshot" in predicted["msg"] and not empty_host.exists()
    result, _ = run_module("restic_restore_verify", **args)
    assert result["changed"] is True and result["verified"] is True and result["checked"] == 5
    restored = empty_host / str(data).lstrip("/")
    assert (restored / "docs" / "register.csv").read_bytes() == (data / "docs" / "register.csv").read_bytes()
    assert (restored / "docs" / "secret.key").read_bytes() == (data / "docs" / "secret.key").read_bytes()
    assert (restored / "docs" / "secret.key").stat().st_mode & 0o777 == 0o600
    assert (restored / "docs" / "register.csv").stat().st_uid == 1234
