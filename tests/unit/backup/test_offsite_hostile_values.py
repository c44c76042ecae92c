"""Hostile offsite values from a card, with the card's schema bypassed: they are rendered by the
backup_server role's own templates, then the keeper's offsite copy runs against a stub restic.
Every value must reach restic as it was written, as one argument or one environment variable,
and no shell, unit file or EnvironmentFile may ever read it (a canary file is never created)."""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from keeper_harness import KEEPER, MODULE_UTILS
from role_render import render, value

CLIENTS = [{"name": "app1", "rest_password": "rest-secret-1", "repository_password": "repo-secret-1"}]


def hostile_strings(canary: Path):
    return [
        f"$(touch {canary})",
        f"`touch {canary}`",
        f'"; touch {canary}; echo "',
        f"'; touch {canary}; echo '",
        f"x\nExecStartPre=/usr/bin/touch {canary}\nAWS_REGION=evil",
        f"x; touch {canary} # ../../etc",
        "\u202etxt.exe",
        "%i %n %% ${HOME} $HOME \\",
        "a" * 10_000,
    ]


STUB = """#!{python}
import json, os, sys
with open({log!r}, "a") as out:
    out.write(json.dumps({{"argv": sys.argv[1:], "env": {{k: v for k, v in os.environ.items()
                         if k.startswith(("RESTIC_", "AWS_"))}}}}) + "\\n")
"""


@pytest.fixture
def listener():
    """Something listening where the endpoint points, so the keeper's reachability probe passes."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def keeper_on(tmp_path, offsite, log):
    """The role's keeper configuration and offsite keys rendered with ``offsite``, laid out in ``tmp_path``."""
    settings = {"backup_server_clients": CLIENTS, "backup_server_offsite": offsite}
    config = json.loads(render("backup_server", "keeper.json.j2", **settings))
    keys = value(
        "backup_server",
        "{'access_key_id': backup_server_offsite_environment.AWS_ACCESS_KEY_ID,"
        " 'secret_access_key': backup_server_offsite_environment.AWS_SECRET_ACCESS_KEY} | to_nice_json",
        **settings,
    )
    for directory in ("srv/app1/snapshots", "passwords", "arrivals", "lib", "bin"):
        (tmp_path / directory).mkdir(parents=True, exist_ok=True)
    (tmp_path / "passwords" / "app1").write_text("repo-secret-1")
    (tmp_path / "offsite-keys.json").write_text(keys)
    # Only the paths move into the test's directory; the card's values stay as rendered.
    config.update(
        user=None,
        repository_root=str(tmp_path / "srv"),
        password_dir=str(tmp_path / "passwords"),
        index_dir=str(tmp_path / "arrivals"),
    )
    config["offsite"]["credentials_file"] = str(tmp_path / "offsite-keys.json")
    config["restic"] = str(tmp_path / "bin" / "restic")
    (tmp_path / "keeper.json").write_text(json.dumps(config))
    for name in ("_restic_arrivals.py", "_restic.py"):
        target = {"_restic_arrivals.py": "arrivals.py", "_restic.py": "restic_runner.py"}[name]
        (tmp_path / "lib" / target).write_text((MODULE_UTILS / name).read_text())
    stub = tmp_path / "bin" / "restic"
    stub.write_text(STUB.format(python=sys.executable, log=str(log)))
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    return config


def run_offsite(tmp_path):
    return subprocess.run(
        [sys.executable, str(KEEPER), "--config", str(tmp_path / "keeper.json"), "offsite"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(tmp_path / "lib")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )


@pytest.mark.parametrize("which", range(9))
def test_hostile_offsite_values_reach_restic_literally_and_run_nothing(tmp_path, listener, which):
    canary = tmp_path / "canary"
    hostile = hostile_strings(canary)[which]
    # Every field at once, each told apart by its prefix.
    offsite = {
        "enabled": True,
        "type": "s3",
        "endpoint": f"http://127.0.0.1:{listener}/endpoint-{hostile}",
        "bucket": f"bucket-{hostile}",
        "region": f"region-{hostile}",
        "access_key_id": f"key-{hostile}",
        "secret_access_key": f"secret-{hostile}",
    }
    log = tmp_path / "restic.log"
    keeper_on(tmp_path, offsite, log)
    done = run_offsite(tmp_path)
    assert done.returncode == 0, done.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    copies = [call for call in calls if call["argv"][1:2] == ["copy"] or "copy" in call["argv"]]
    assert len(copies) == 1
    env = copies[0]["env"]
    expected_location = f"s3:{offsite['endpoint'].rstrip('/')}/{offsite['bucket']}/app1"
    assert env["RESTIC_REPOSITORY"] == expected_location
    assert env["AWS_DEFAULT_REGION"] == offsite["region"]
    assert env["AWS_ACCESS_KEY_ID"] == offsite["access_key_id"]
    assert env["AWS_SECRET_ACCESS_KEY"] == offsite["secret_access_key"]
    assert "AWS_REGION" not in env
    # No value ever reaches restic's command line, where ps would show it.
    assert all(hostile not in argument for call in calls for argument in call["argv"])
    assert not canary.exists()
    assert not list(Path(tmp_path).glob("**/canary"))


def test_the_units_carry_no_card_value(tmp_path):
    canary = tmp_path / "canary"
    offsite = {"enabled": True, "endpoint": f"http://h/{hostile_strings(canary)[4]}", "bucket": "b", "region": "r"}
    jobs = value("backup_server", "backup_server_jobs", backup_server_clients=CLIENTS, backup_server_offsite=offsite)
    assert [job["name"] for job in jobs] == ["index", "verify", "retention", "offsite"]
    for job in jobs:
        for template in ("job.service.j2", "job.timer.j2"):
            unit = render(
                "backup_server",
                template,
                backup_server_clients=CLIENTS,
                backup_server_offsite=offsite,
                backup_server_job=job,
            )
            assert "touch" not in unit and "EnvironmentFile" not in unit
            assert all("=" in line or line.startswith(("[", "#")) for line in unit.splitlines() if line.strip())


def test_a_nul_in_an_offsite_value_is_a_clean_error_naming_the_field(tmp_path, listener):
    offsite = {
        "enabled": True,
        "endpoint": f"http://127.0.0.1:{listener}",
        "bucket": "b",
        "region": "eu\0west",
        "access_key_id": "a",
        "secret_access_key": "s",
    }
    keeper_on(tmp_path, offsite, tmp_path / "restic.log")
    done = run_offsite(tmp_path)
    assert done.returncode == 2 and "offsite.region" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "restic.log").exists()
