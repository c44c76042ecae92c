"""The card's role variables as a vars file for `-e @file`, secrets kept in the vault.

The file lands in the run's private_data_dir, which is kept for debugging: a
value that came out of the vault goes back in as a `!vault` value, which
ansible-playbook decrypts with the same vault client.
"""

from pathlib import Path

import yaml

from landingzone.runner.vault import encrypt


class _Sealed(str):
    """A secret that is written as a vault value."""


class _VarsDumper(yaml.SafeDumper):
    pass


_VarsDumper.add_representer(_Sealed, lambda dumper, value: dumper.represent_scalar("!vault", str(value), style="|"))


def _seal(data: object, secrets: set[str], password: str | None) -> object:
    if isinstance(data, dict):
        return {key: _seal(value, secrets, password) for key, value in data.items()}
    if isinstance(data, list):
        return [_seal(value, secrets, password) for value in data]
    if isinstance(data, str) and data in secrets:
        if password is None:
            raise ValueError("a secret variable cannot be written without the vault password")
        return _Sealed(encrypt(password, data))
    return data


def render_vars(variables: dict, secrets: set[str], password: str | None) -> str:
    return "---\n" + yaml.dump(_seal(variables, secrets, password), Dumper=_VarsDumper, sort_keys=True)


def write_vars_file(path: Path, variables: dict, secrets: set[str], password: str | None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_vars(variables, secrets, password), encoding="utf-8")
    path.chmod(0o600)
    return path
