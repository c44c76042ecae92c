"""`landingzone contract-test` before any container: bad input exits 2 naming file and field,
a missing lab image says how to build it, and the report prints one line per clause.

The runs on real containers are in tests/contract/test_supplier_contract.py.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from landingzone.supplier_role.contract_test import CLAUSES, Report

ROOT = Path(__file__).resolve().parents[3]
LANDINGZONE = Path(sys.executable).with_name("landingzone")


def contract_test(*args, env=None):
    return subprocess.run(
        [str(LANDINGZONE), "contract-test", *map(str, args)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def copy_role(tmp_path, name="undeclared_port") -> Path:
    role = tmp_path / name
    shutil.copytree(ROOT / "tests" / "fixtures" / "supplier_roles" / name, role)
    return role


def test_a_bad_contract_exits_2_naming_file_and_field_before_any_container(tmp_path):
    role = copy_role(tmp_path)
    contract = role / "meta" / "landingzone.yml"
    data = yaml.safe_load(contract.read_text())
    data["ports"][0]["proto"] = "sctp"
    contract.write_text(yaml.safe_dump(data))
    # No podman on the PATH: the contract is refused before podman could be asked for anything.
    result = contract_test(role, env={"PATH": str(Path(sys.executable).parent)})
    assert result.returncode == 2, result.stderr
    assert f"{contract}: ports[0].proto: must be one of tcp, udp; got 'sctp'" in result.stderr
    assert result.stdout == ""


def test_a_directory_without_a_contract_or_a_bad_vars_file_exits_2(tmp_path):
    result = contract_test(tmp_path)
    assert result.returncode == 2
    assert f"{tmp_path}/meta/landingzone.yml: (file): missing" in result.stderr
    (tmp_path / "vars.yml").write_text("- a list\n")
    result = contract_test(copy_role(tmp_path), "--vars", tmp_path / "vars.yml")
    assert result.returncode == 2
    assert f"{tmp_path / 'vars.yml'}: (top level): must be a mapping" in result.stderr


def test_a_missing_lab_image_says_how_to_build_it(tmp_path):
    if shutil.which("podman") is None:
        pytest.skip("needs podman")
    # podman with a storage of its own, empty: the lab image is missing there.
    storage = tmp_path / "storage.conf"
    storage.write_text(f'[storage]\ndriver = "vfs"\ngraphroot = "{tmp_path}/graph"\nrunroot = "{tmp_path}/run"\n')
    result = contract_test(copy_role(tmp_path), env={"CONTAINERS_STORAGE_CONF": str(storage)})
    assert result.returncode == 2, result.stderr
    assert "the lab image localhost/landingzone-lab:bookworm is missing" in result.stderr
    assert "`landingzone lab images` (or `make setup`)" in result.stderr


def test_report_has_one_line_per_clause_and_a_verdict():
    report = Report(role="undeclared_port")
    for clause in set(CLAUSES) - {"ports"}:
        report.check(clause)
    report.violate("ports", "new listener tcp/9090 on 0.0.0.0 is not declared")
    lines = report.lines()
    assert len(lines) == len(CLAUSES) + 1
    assert "fail  ports: new listener tcp/9090 on 0.0.0.0 is not declared" in lines
    assert "pass  health_check: the declared health check passes" in lines
    assert lines[-1] == "role undeclared_port breaks its contract"
    assert not report.passed and report.as_dict()["clauses"][list(CLAUSES).index("ports")] == {
        "clause": "ports",
        "status": "fail",
        "messages": ["new listener tcp/9090 on 0.0.0.0 is not declared"],
    }


def test_clauses_after_a_failed_install_are_skipped_not_passed():
    report = Report(role="broken")
    report.check("contract")
    report.violate("install", "the role did not apply:\nTASK [Apply the role]\nfatal: [lz-contract-host]: FAILED!")
    lines = report.lines()
    assert lines[:4] == [
        "pass  contract: meta/landingzone.yml is valid",
        "fail  install: the role did not apply:",
        "        TASK [Apply the role]",
        "        fatal: [lz-contract-host]: FAILED!",
    ]
    assert [line.split()[0] for line in lines[4:-1]] == ["skip"] * (len(CLAUSES) - 2)
