"""The collection on its own, as a supplier or AWX gets it: the tarball installed with a plain
`ansible-galaxy collection install` into a fresh virtualenv that holds ansible-core and the
`ansible` bundle at the pins of pyproject.toml, and nothing of the landingzone package.

The collections the tarball depends on (galaxy.yml) are the bundle's own copies: ansible-galaxy
finds them installed and downloads nothing. From there, ansible-doc shows every plugin, the
supplier contract filters work, and the README's supplier playbook hardens a lab container
and installs the citizen portal on it, whose health check then passes.

The harness around the clean room uses the checkout: it builds the tarball, makes the portal's
certificates with the lab's CA code (a supplier brings its own) and starts the container.
"""

import json
import os
import re
import subprocess
import sys
import time
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "localhost/landingzone-lab:bookworm"
EXAMPLE_MARKER = "<!-- tests/integration/test_collection_clean_room.py runs this playbook from a clean install -->"
# The lab image masks apt's daily timers, so that apt never holds the dpkg lock in a test;
# the baseline would enable them again. The basic level keeps the run short: the portal
# needs the baseline's firewall, not all of its controls.
LAB_VARS = {"linux_baseline_level": "basic", "linux_baseline_disabled_controls": ["LZ-UPD-005", "LZ-UPD-006"]}
# The lab's throwaway break-glass hash (molecule/linux_baseline/vars/baseline.yml): a supplier brings its own.
BREAKGLASS_HASH = yaml.safe_load((ROOT / "molecule/linux_baseline/vars/baseline.yml").read_text())[
    "linux_baseline_breakglass_password_hash"
]


@dataclass(frozen=True)
class CleanRoom:
    venv: Path
    home: Path

    def env(self) -> dict[str, str]:
        """A user's environment: the clean virtualenv first, a home of its own, no checkout settings."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ANSIBLE_", "PYTHON", "VIRTUAL_ENV", "LANDINGZONE_"))
        }
        path = [entry for entry in env.get("PATH", "").split(os.pathsep) if entry != str(Path(sys.executable).parent)]
        env.update(
            HOME=str(self.home),
            PATH=os.pathsep.join([str(self.venv / "bin"), *path]),
            CONTAINERS_CONF=str(ROOT / "lab" / "containers.conf"),
            ANSIBLE_FORCE_COLOR="0",
            NO_COLOR="1",
        )
        return env

    def run(self, *argv, cwd=None, timeout=300, env=None):
        return subprocess.run(
            [str(self.venv / "bin" / argv[0]), *map(str, argv[1:])],
            cwd=cwd or self.home,
            env={**self.env(), **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _pins() -> list[str]:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return [pin for pin in dependencies if pin.startswith(("ansible-core==", "ansible=="))]


def _checked(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    return done


@pytest.fixture(scope="module")
def clean_room(tmp_path_factory) -> CleanRoom:
    base = tmp_path_factory.mktemp("clean-room")
    _checked(
        subprocess.run(
            [Path(sys.executable).parent / "ansible-galaxy", "collection", "build", "--output-path", base, ROOT],
            cwd=base,
            capture_output=True,
            text=True,
            check=False,
        )
    )
    (tarball,) = base.glob("cyberveilig-landingzone-*.tar.gz")
    venv = base / "venv"
    _checked(subprocess.run([sys.executable, "-m", "venv", venv], capture_output=True, text=True, check=False))
    pip = [venv / "bin" / "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check", *_pins()]
    _checked(subprocess.run(pip, capture_output=True, text=True, timeout=900, check=False))
    home = base / "home"
    home.mkdir()
    room = CleanRoom(venv=venv, home=home)
    # The README's step: nothing but the tarball, and no --offline either.
    installed = _checked(room.run("ansible-galaxy", "collection", "install", tarball))
    assert "cyberveilig.landingzone:" in installed.stdout and "was installed successfully" in installed.stdout
    return room


def _collection_paths(room: CleanRoom) -> dict[str, str]:
    """Each listed collection and the directory ansible-galaxy found it in."""
    listed = json.loads(_checked(room.run("ansible-galaxy", "collection", "list", "--format", "json")).stdout)
    return {name: path for path, collections in listed.items() for name in collections}


def test_the_clean_room_has_no_landingzone_package_and_the_bundles_dependencies(clean_room):
    probe = clean_room.run("python", "-c", "import landingzone")
    assert probe.returncode != 0 and "No module named 'landingzone'" in probe.stderr
    paths = _collection_paths(clean_room)
    assert paths["cyberveilig.landingzone"] == str(clean_room.home / ".ansible/collections/ansible_collections")
    declared = yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"]
    assert declared, "galaxy.yml declares no dependencies"
    site_packages = str(clean_room.venv / "lib")
    for name in declared:
        # The bundle's copy in the clean virtualenv, not one ansible-galaxy fetched.
        assert paths[name].startswith(site_packages), (name, paths[name])


def _documented(room: CleanRoom, kind: str) -> set[str]:
    listed = _checked(room.run("ansible-doc", "-t", kind, "--list", "--json", "cyberveilig.landingzone"))
    return set(json.loads(listed.stdout))


def test_ansible_doc_shows_every_plugin(clean_room):
    expected = {
        "module": {path.stem for path in (ROOT / "plugins/modules").glob("*.py")},
        "filter": {path.stem for path in (ROOT / "plugins/filter").glob("*.yml")},
    }
    for kind, names in expected.items():
        fqcns = {f"cyberveilig.landingzone.{name}" for name in names}
        assert _documented(clean_room, kind) == fqcns
        shown = _checked(clean_room.run("ansible-doc", "-t", kind, *sorted(fqcns)))
        assert "ERROR" not in shown.stderr, shown.stderr
        for fqcn in fqcns:
            # Each plugin's page opens with its kind, name and the file it came from.
            assert f"> {kind.upper()} {fqcn} ({clean_room.home}" in shown.stdout, fqcn


def _example_playbook() -> str:
    readme = (ROOT / "README.md").read_text()
    after = readme.split(EXAMPLE_MARKER, 1)[1]
    match = re.match(r"\s*```yaml\n(.*?)```", after, re.DOTALL)
    assert match, "the README's supplier example is not a yaml block right after its marker"
    return match.group(1)


def _project(room: CleanRoom, name: str, inventory: str) -> Path:
    project = room.home / name
    project.mkdir()
    (project / "supplier.yml").write_text(_example_playbook())
    (project / "hosts.yml").write_text(inventory)
    (project / "lab-vars.json").write_text(json.dumps(LAB_VARS))
    return project


def _debug_messages(output: str) -> list:
    """The msg of every debug task, from the json callback's output."""
    report = json.loads(output[output.index("{") :])
    return [
        host_result["msg"]
        for play in report["plays"]
        for task in play["tasks"]
        for host_result in task["hosts"].values()
        if "msg" in host_result
    ]


def test_the_supplier_contract_filters_work_without_the_cli(clean_room):
    project = _project(clean_room, "filters", "all:\n  hosts: {}\n")
    done = _checked(
        clean_room.run(
            "ansible-playbook",
            "-i",
            "hosts.yml",
            "supplier.yml",
            cwd=project,
            env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"},
        )
    )
    (derived,) = _debug_messages(done.stdout)
    assert "add rule inet landingzone_filter input tcp dport 443 accept" in derived["firewall"]
    assert derived["backup"] == {
        "paths": [],
        "databases": [{"engine": "postgresql", "name": "citizen_portal"}],
        "services": ["citizen-portal.service"],
    }
    assert derived["health_check"]["argv"] == ["/usr/local/sbin/citizen-portal-healthcheck"]


def test_a_bad_contract_names_its_file_and_field_without_the_cli(clean_room):
    role = clean_room.home / "roles" / "broken_app"
    (role / "meta").mkdir(parents=True)
    contract = yaml.safe_load((ROOT / "roles/citizen_portal/meta/landingzone.yml").read_text())
    contract.update(role="broken_app", ports=[{"port": 70000, "proto": "tcp", "sources": ["10.1.2.3/24"]}])
    (role / "meta" / "landingzone.yml").write_text(yaml.safe_dump(contract))
    done = clean_room.run(
        "ansible",
        "localhost",
        "-m",
        "ansible.builtin.debug",
        "-a",
        f"msg={{{{ '{role}' | cyberveilig.landingzone.supplier_contract }}}}",
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"{role}/meta/landingzone.yml: ports[0].port: 70000 is greater than the maximum of 65535" in output
    assert "ports[0].sources[0]" in output
    assert "landingzone package" not in output


def _podman(*args, timeout=120):
    env = {**os.environ, "CONTAINERS_CONF": str(ROOT / "lab" / "containers.conf")}
    return subprocess.run(["podman", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def portal_container():
    if _podman("image", "exists", IMAGE).returncode != 0:
        pytest.fail(f"{IMAGE} is missing: run `make images`")
    name = f"lz-clean-room-{uuid.uuid4().hex[:8]}"
    started = _podman(
        "run", "-d", "--name", name, "--hostname", "portal", "--systemd=always", "--cap-add", "NET_ADMIN",
        IMAGE, "/lib/systemd/systemd",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        for _ in range(60):
            state = _podman("exec", name, "systemctl", "is-system-running").stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(0.5)
        yield name
    finally:
        _podman("rm", "-f", "-t", "0", name)


@pytest.mark.lab
def test_the_readme_example_installs_the_citizen_portal_from_the_clean_room(clean_room, portal_container):
    host = {"ansible_connection": "containers.podman.podman", "ansible_host": portal_container}
    project = _project(clean_room, "portal", yaml.safe_dump({"all": {"hosts": {"portal": host}}}))
    # The supplier's certificate for the name the portal answers to, its CA, and the break-glass hash.
    subprocess.run(
        [sys.executable, "-m", "landingzone.pki", project / "tls", "portal"], check=True, capture_output=True
    )
    (project / "breakglass.sha512").write_text(BREAKGLASS_HASH + "\n")
    done = clean_room.run(
        "ansible-playbook", "-i", "hosts.yml", "supplier.yml", "-e", "@lab-vars.json", cwd=project, timeout=1200
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    assert re.search(r"portal\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0", done.stdout), done.stdout[-3000:]
    health = _podman("exec", portal_container, "/usr/local/sbin/citizen-portal-healthcheck")
    assert health.returncode == 0 and health.stdout.startswith("ok: "), health.stdout + health.stderr
    chain = _podman("exec", portal_container, "nft", "list", "chain", "inet", "landingzone_filter", "input")
    assert 'tcp dport 443 accept comment "citizen_portal: HTTPS for citizens"' in chain.stdout, chain.stdout
