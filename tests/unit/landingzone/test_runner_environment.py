"""The job's environment is an allowlist: nothing else of the operator's shell reaches it."""

from landingzone.runner.environment import clean_environment
from landingzone.runner.job import FleetSettings, job_environment

OPERATOR_SHELL = {
    "PATH": "/usr/bin",
    "HOME": "/home/op",
    "LANG": "nl_BE.UTF-8",
    "AWS_SECRET_ACCESS_KEY": "aws-secret",
    "LANDINGZONE_VAULT_PASSWORD": "vault-secret",
    "ANSIBLE_VAULT_PASSWORD_FILE": "/home/op/.vault",
    "ANSIBLE_BECOME_PASSWORD": "become-secret",
    "HTTPS_PROXY": "http://user:proxy-secret@proxy:3128",
}


def test_only_allowlisted_inherited_variables_survive():
    runner_env = {**OPERATOR_SHELL, "ANSIBLE_STDOUT_CALLBACK": "awx_display", "AWX_ISOLATED_DATA_DIR": "/run/a"}
    env = clean_environment(runner_env, OPERATOR_SHELL, {"ANSIBLE_CONFIG": "/c/ansible.cfg"})
    assert env == {
        "PATH": "/usr/bin",
        "HOME": "/home/op",
        "LANG": "nl_BE.UTF-8",
        "ANSIBLE_STDOUT_CALLBACK": "awx_display",
        "AWX_ISOLATED_DATA_DIR": "/run/a",
        "ANSIBLE_CONFIG": "/c/ansible.cfg",
    }
    assert not any("secret" in value for value in env.values())


def test_our_variables_win_over_inherited_ones():
    env = clean_environment({}, {"PATH": "/usr/bin"}, {"PATH": "/venv/bin:/usr/bin"})
    assert env["PATH"] == "/venv/bin:/usr/bin"


def test_the_job_gets_the_path_of_the_password_copy_never_the_password(tmp_path):
    settings = FleetSettings(
        root=tmp_path, fleet=tmp_path, vault_password="vault-secret", vault_password_file=tmp_path / "pw"
    )
    env = job_environment(settings)
    assert env["LANDINGZONE_VAULT_PASSWORD_FILE"] == str(tmp_path / "pw")
    assert "vault-secret" not in repr(env)
    assert env["ANSIBLE_CONFIG"] == str(tmp_path / "ansible.cfg")
