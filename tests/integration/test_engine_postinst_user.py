"""A package whose postinst adds a user, installed by the real engine in a Debian 12 lab container.

The engine installs packages before it reads the account files, so the user a maintainer
script adds (as chrony's adds _chrony) must survive the account controls of the same run,
which rewrite /etc/passwd and /etc/shadow. The package is a tiny .deb built here with
dpkg-deb and served from a file: apt source inside the container. A rollback of the run
restores the account files as they were when the run read them: with the package's user,
since packages are not rolled back.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import textwrap

import pytest
from lab_cli import ENV, ROOT

pytestmark = pytest.mark.lab

CONTAINER = "lz-tx-postinst"
IMAGE = "localhost/landingzone-lab:bookworm"
PACKAGE, USER = "lz-postinst-user", "_lzpostinst"
ACCOUNT_FILES = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow")
# Runs the collection's engine as the module would, with the real command runner.
DRIVER = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, "/opt/lz-engine")
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.engine import Engine
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.host import Host
    from ansible_collections.cyberveilig.landingzone.plugins.module_utils._controls.rollback import rollback
    mode, argument = sys.argv[1], sys.argv[2]
    host = Host(run_id=sys.argv[3])
    if mode == "rollback":
        print(json.dumps({"results": rollback(host, argument)}))
    else:
        print(json.dumps(Engine(host).run(json.loads(argument), "apply"), default=str))
    """
)


def control(ctype, params, control_id):
    return {
        "id": control_id,
        "title": f"test {ctype}",
        "type": ctype,
        "params": params,
        "level": "basic",
        "risk": "low",
        "applies_to": ["server", "virtual_pc", "container"],
    }


CONTROLS = [
    control("package", {"name": PACKAGE, "state": "present"}, "LZ-T-001"),
    control("account_policy", {"rule": "password_max_days", "value": 365}, "LZ-T-002"),
    control("account_policy", {"rule": "system_shell_nologin"}, "LZ-T-003"),
]


def podman(*args, check=True, stdin=None):
    done = subprocess.run(["podman", *args], env=ENV, input=stdin, capture_output=True, text=True, timeout=600)
    assert not check or done.returncode == 0, f"podman {' '.join(args)}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


def inside(command, stdin=None):
    return podman("exec", "-i", CONTAINER, "bash", "-c", command, stdin=stdin).stdout


def build_deb(directory):
    """A package with nothing in it but a postinst that adds a system user."""
    tree = directory / "tree"
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        f"Package: {PACKAGE}\nVersion: 1.0\nArchitecture: all\nMaintainer: test <test@example.invalid>\n"
        "Description: adds a system user in its postinst\n"
    )
    postinst = tree / "DEBIAN" / "postinst"
    postinst.write_text(
        "#!/bin/sh\nset -e\n"
        f'if [ "$1" = configure ] && ! getent passwd {USER} >/dev/null; then\n'
        f"    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin {USER}\n"
        "fi\n"
    )
    postinst.chmod(0o755)
    deb = directory / f"{PACKAGE}_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(tree), str(deb)], check=True, capture_output=True)
    data = deb.read_bytes()
    packages = (
        tree / "DEBIAN" / "control"
    ).read_text() + f"Filename: ./{deb.name}\nSize: {len(data)}\nSHA256: {hashlib.sha256(data).hexdigest()}\n"
    return deb, packages


@pytest.fixture(scope="module")
def container(tmp_path_factory):
    directory = tmp_path_factory.mktemp("postinst")
    deb, packages = build_deb(directory)
    podman("rm", "--force", "--time", "2", CONTAINER, check=False)
    podman("run", "--detach", "--name", CONTAINER, IMAGE)
    try:
        inside("mkdir -p /srv/lz-repo /opt/lz-engine/ansible_collections/cyberveilig/landingzone")
        podman("cp", str(deb), f"{CONTAINER}:/srv/lz-repo/{deb.name}")
        podman("cp", str(ROOT / "plugins"), f"{CONTAINER}:/opt/lz-engine/ansible_collections/cyberveilig/landingzone/")
        inside("cat > /srv/lz-repo/Packages", stdin=packages)
        inside("cat > /opt/lz-engine/driver.py", stdin=DRIVER)
        # Only this source: the engine's apt-get install must find the package without the network.
        inside(
            "echo 'deb [trusted=yes] file:/srv/lz-repo ./' > /etc/apt/sources.list.d/lz-repo.list && "
            "apt-get update -q -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/lz-repo.list "
            "-o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 >/dev/null"
        )
        yield
    finally:
        podman("rm", "--force", "--time", "2", CONTAINER, check=False)


def account_files():
    return {path: inside(f"cat {path}") for path in ACCOUNT_FILES}


def test_the_user_a_postinst_adds_survives_the_account_controls_and_the_rollback(container):
    before = account_files()
    assert USER not in before["/etc/passwd"]

    report = json.loads(inside(f"python3 /opt/lz-engine/driver.py apply {json.dumps(json.dumps(CONTROLS))} run-1"))

    statuses = {r["id"]: r["status"] for r in report["results"]}
    assert statuses["LZ-T-001"] == "fixed", report["results"][0]
    assert statuses["LZ-T-002"] in ("fixed", "pass") and statuses["LZ-T-003"] in ("fixed", "pass"), statuses
    assert "fixed" in (statuses["LZ-T-002"], statuses["LZ-T-003"])  # an account file was rewritten
    after = account_files()
    assert f"\n{USER}:x:" in after["/etc/passwd"] and f"\n{USER}:" in after["/etc/shadow"]
    assert f"\n{USER}:x:" in after["/etc/group"]
    assert inside(f"getent passwd {USER}").startswith(f"{USER}:x:")
    assert "root:x:0:0:root:/root:/bin/bash" in after["/etc/passwd"]

    records = json.loads(inside("python3 /opt/lz-engine/driver.py rollback run-1 run-2"))["results"]

    assert not [r for r in records if r["status"] == "error"], records
    restored = account_files()
    # The files as the run read them, after apt: the package's user is still there.
    for path in ACCOUNT_FILES:
        lines = restored[path].splitlines()
        assert [line for line in lines if not line.startswith(f"{USER}:")] == before[path].splitlines(), path
    assert any(line.startswith(f"{USER}:") for line in restored["/etc/passwd"].splitlines())
