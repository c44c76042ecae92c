"""restic_repository: initialise once, never over a repository it cannot open, check on request."""

from restic_harness import PASSWORD, restic, run_module


def test_absent_repository_is_initialised_once(tmp_path):
    location = tmp_path / "repo"
    first, _ = run_module("restic_repository", repository=str(location), password=PASSWORD)
    assert first["failed"] is False and first["changed"] is True and first["initialised"] is True
    assert (location / "config").is_file()
    second, _ = run_module("restic_repository", repository=str(location), password=PASSWORD)
    assert second["changed"] is False and second["initialised"] is False


def test_check_mode_predicts_the_init_and_creates_nothing(tmp_path):
    location = tmp_path / "repo"
    result, _ = run_module("restic_repository", check_mode=True, repository=str(location), password=PASSWORD)
    assert result["changed"] is True and result["initialised"] is True
    assert not location.exists()


def test_wrong_password_fails_without_initialising_or_leaking(repository):
    config_before = (repository / "config").read_bytes()
    result, raw = run_module("restic_repository", repository=str(repository), password="not-the-password")
    assert result["failed"] is True
    assert result["error"]["kind"] == "wrong_password"
    assert "not-the-password" not in raw
    assert (repository / "config").read_bytes() == config_before


def test_check_reads_a_subset_of_the_data(repository, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "file").write_bytes(b"x" * 10000)
    restic(repository, "backup", str(data))
    result, _ = run_module(
        "restic_repository", repository=str(repository), password=PASSWORD, check=True, read_data_subset="1/1"
    )
    assert result["failed"] is False and result["changed"] is False
    assert result["check"]["ok"] is True and result["check"]["read_data_subset"] == "1/1"


def test_damaged_pack_fails_the_check(repository, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "file").write_bytes(bytes(range(256)) * 400)
    restic(repository, "backup", str(data))
    pack = next(p for p in (repository / "data").rglob("*") if p.is_file())
    pack.chmod(0o600)
    content = bytearray(pack.read_bytes())
    content[100] ^= 0xFF
    pack.write_bytes(bytes(content))
    result, _ = run_module(
        "restic_repository", repository=str(repository), password=PASSWORD, check=True, read_data_subset="100%"
    )
    assert result["failed"] is True
    assert "check" not in result


def test_unreachable_rest_server_is_an_error_not_an_absent_repository():
    result, raw = run_module(
        "restic_repository", repository="rest:http://client:s3cr3t-rest@127.0.0.1:1/client/", password=PASSWORD
    )
    assert result["failed"] is True
    assert result["error"]["kind"] == "unreachable"
    assert result["location"] == "rest:http://127.0.0.1:1/client/"
    assert "s3cr3t-rest" not in raw


def _group_bits(root):
    """{relative path: (gid, group rwx bits, setgid)} of every file and directory under ``root``."""
    import stat

    found = {}
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        found[str(path.relative_to(root))] = (
            info.st_gid,
            info.st_mode & stat.S_IRWXG,
            bool(info.st_mode & stat.S_ISGID),
        )
    return found


def test_a_repository_is_shared_with_a_group_and_restic_keeps_it_shared(tmp_path):
    """The backup server's layout: the keeper makes the repository, the REST account must write it."""
    import grp

    gid = grp.getgrnam("daemon").gr_gid  # a group every Debian has; no account is made for the test
    location = tmp_path / "repo"
    predicted, _ = run_module(
        "restic_repository", check_mode=True, repository=str(location), password=PASSWORD, group="daemon"
    )
    assert predicted["changed"] is True and not location.exists()
    first, _ = run_module("restic_repository", repository=str(location), password=PASSWORD, group="daemon")
    assert first["changed"] is True and first["initialised"] is True and first["shared"] > 5
    for relative, (owner_group, bits, setgid) in _group_bits(location).items():
        is_dir = (location / relative).is_dir()
        assert owner_group == gid, relative
        assert bits == (0o070 if is_dir else 0o040) and setgid is is_dir, relative
    again, _ = run_module(
        "restic_repository", check_mode=True, repository=str(location), password=PASSWORD, group="daemon"
    )
    assert again["changed"] is False and again["shared"] == 0
    # restic sees the group-readable config and writes its own files group-readable from then on.
    data = tmp_path / "data"
    data.mkdir()
    (data / "file").write_text("x")
    restic(location, "backup", str(data))
    assert all(gid == g and bits >= 0o040 for g, bits, _ in _group_bits(location).values())
    after, _ = run_module("restic_repository", repository=str(location), password=PASSWORD, group="daemon")
    assert after["changed"] is False


def test_only_a_local_repository_and_an_existing_group_can_be_shared(tmp_path):
    result, _ = run_module(
        "restic_repository", repository=str(tmp_path / "r"), password=PASSWORD, group="no-such-group-x"
    )
    assert result["failed"] is True and "does not exist" in result["msg"]
    result, _ = run_module(
        "restic_repository", repository="s3:http://127.0.0.1:9/b/c", password=PASSWORD, group="daemon"
    )
    assert result["failed"] is True and "local repository" in result["msg"]
