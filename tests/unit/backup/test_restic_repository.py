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
