"""The vault password: its sources, the client script ansible-playbook calls, the private copy."""

import os
import stat
import subprocess

import pytest

from landingzone.errors import LandingzoneError
from landingzone.runner.vault import CLIENT_SCRIPT, decrypt, encrypt, password_file_for_jobs, read_password


def _client(env):
    return subprocess.run([str(CLIENT_SCRIPT)], env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True)


def test_the_client_script_is_executable_and_prints_the_password_from_a_file(tmp_path):
    assert CLIENT_SCRIPT.stat().st_mode & stat.S_IXUSR
    password_file = tmp_path / "pw"
    password_file.write_text("correct horse\nignored second line\n")
    result = _client({"LANDINGZONE_VAULT_PASSWORD_FILE": str(password_file)})
    assert result.returncode == 0
    assert result.stdout == "correct horse\n"


def test_the_client_script_falls_back_to_the_environment():
    result = _client({"LANDINGZONE_VAULT_PASSWORD": "from the environment"})
    assert (result.returncode, result.stdout) == (0, "from the environment\n")


def test_the_client_script_fails_without_a_password():
    result = _client({})
    assert result.returncode == 1
    assert result.stdout == ""
    assert "LANDINGZONE_VAULT_PASSWORD_FILE" in result.stderr


def test_the_option_wins_over_the_environment(tmp_path):
    option, env_file = tmp_path / "option", tmp_path / "env"
    option.write_text("from option\n")
    env_file.write_text("from env file\n")
    environ = {"LANDINGZONE_VAULT_PASSWORD_FILE": str(env_file), "LANDINGZONE_VAULT_PASSWORD": "plain"}
    assert read_password(str(option), environ) == "from option"
    assert read_password(None, environ) == "from env file"
    assert read_password(None, {"LANDINGZONE_VAULT_PASSWORD": "plain"}) == "plain"
    assert read_password(None, {}) is None


@pytest.mark.parametrize("content", [None, "", "\n"])
def test_a_missing_or_empty_password_file_is_bad_input_naming_the_file(tmp_path, content):
    path = tmp_path / "pw"
    if content is not None:
        path.write_text(content)
    with pytest.raises(LandingzoneError) as error:
        read_password(str(path), {})
    assert error.value.exit_code == 2
    assert str(path) in str(error.value) and "--vault-password-file" in str(error.value)


def test_the_private_copy_is_readable_by_its_owner_only_and_gone_afterwards():
    with password_file_for_jobs("s3cret-pass") as path:
        assert path.read_text() == "s3cret-pass\n"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not path.exists() and not path.parent.exists()
    with password_file_for_jobs(None) as nothing:
        assert nothing is None


def test_decrypt_names_the_field_when_the_password_is_wrong_or_missing():
    ciphertext = encrypt("right", "value")
    assert decrypt("right", ciphertext, "f.yml: key") == "value"
    with pytest.raises(LandingzoneError, match=r"^f.yml: key: cannot be decrypted"):
        decrypt("wrong", ciphertext, "f.yml: key")
    with pytest.raises(LandingzoneError, match=r"^f.yml: key: is vault-encrypted"):
        decrypt(None, ciphertext, "f.yml: key")
