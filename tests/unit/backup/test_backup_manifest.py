"""The backup manifest: excludes as restic reads them, and a round trip through write and read."""

from ansible_collections.cyberveilig.landingzone.plugins.module_utils import _restic_manifest as manifest


def test_exclude_forms_the_roles_use():
    patterns = ["/var/cache", "*.swp", "/home/*/.cache"]
    assert manifest.is_excluded("/var/cache", patterns)
    assert manifest.is_excluded("/var/cache/apt/pkgcache.bin", patterns)
    assert not manifest.is_excluded("/var/cachefiles", patterns)
    assert manifest.is_excluded("/etc/.passwd.swp", patterns)
    assert manifest.is_excluded("/home/an/.cache/x", patterns)
    assert not manifest.is_excluded("/home/an/docs/x", patterns)


def test_write_then_read_describes_every_path(tmp_path):
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a").write_bytes(b"abc")
    (root / "skip.swp").write_text("x")
    out = tmp_path / "m.jsonl"
    count = manifest.write(str(out), [str(root)], excluded=["*.swp"])
    header, records = manifest.read(str(out))
    assert header["roots"] == [str(root)] and count == len(records) == 3
    by_path = {r["path"]: r for r in records}
    assert by_path[str(root / "sub" / "a")]["sha256"] == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert out.stat().st_mode & 0o777 == 0o600
    assert manifest.compare(records, "/") == []
