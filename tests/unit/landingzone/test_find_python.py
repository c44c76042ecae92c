"""tools/find-python.sh: a Python >= 3.12 or one clear message."""

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "tools" / "find-python.sh"


def _fake_python(directory: Path, name: str, version: tuple[int, int]) -> Path:
    path = directory / name
    major, minor = version
    path.write_text(f"#!/bin/sh\nexec /usr/bin/env -i /bin/sh -c 'exit $(( {major * 100 + minor} < 312 ))'\n")
    path.chmod(0o755)
    return path


def _run(path_dirs: list[Path]) -> subprocess.CompletedProcess:
    path = ":".join(str(p) for p in path_dirs)
    return subprocess.run(["/bin/bash", str(SCRIPT)], env={"PATH": path}, capture_output=True, text=True, check=False)


def test_only_an_old_python_is_refused_with_what_to_do(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("grep", "sort", "env"):
        (tools / tool).symlink_to(f"/usr/bin/{tool}")
    _fake_python(tools, "python3", (3, 11))
    result = _run([tools])
    assert result.returncode == 2
    assert result.stdout == ""
    assert "no Python >= 3.12" in result.stderr
    assert "pyenv install" in result.stderr


def test_a_new_enough_python_on_path_is_chosen(tmp_path):
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "env").symlink_to("/usr/bin/env")
    _fake_python(tools, "python3", (3, 11))
    good = _fake_python(tools, "python3.13", (3, 13))
    result = _run([tools])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(good)
