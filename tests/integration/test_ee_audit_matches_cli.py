"""The execution environment image (tools/ee_image.py), built here offline from the lab's Debian 13
image, and audit.yml run inside it the way AWX's execution nodes run a job.

The smoke (make test, no container): the build context is complete, holds the runtime pins of
the lock with their hashes and nothing of the development tools, and its tag changes with the
lock, the collection and the base image.

The full proof (make test-slow): the image built (or found by its tag), its ansible-playbook and
its copy of the collection, the lab municipality lab-ee up, its audit
through the CLI, then the same audit through `ansible-runner run --process-isolation
--container-image IMAGE`: the inventory, the card's variables (`landingzone card-vars`, as
pasted into a job template), an SSH key (a Machine credential) and the vault password
(a Vault credential, answered at ansible-playbook's prompt) passed in, and nothing of the
checkout but its playbooks. Every control's status in the two runs must be the same, and its
whole record too, apart from the time each result was seen and the address the SSH session
came from.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from lab_cli import BIN, ENV, ROOT, landingzone, podman

from landingzone.evidence.document import result_record
from landingzone.runner.events import RunObserver
from landingzone.ssh_trust import ssh_arguments

sys.path.insert(0, str(ROOT / "tools"))
import ee_image  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "fleet"
MUNICIPALITY = "lab-ee"
PASSWORD_FILE = FIXTURES / "vault-password"
STATE = ROOT / ".cache" / "lab" / MUNICIPALITY
HOSTS = {"ee-app1": "10.231.78.11", "ee-app2": "10.231.78.12"}
# What differs between the two runs of one control by nature: when its result was seen, and the
# address the operator's SSH session comes from (the firewall's evidence names it), which is the
# lab network's gateway for the CLI on this machine and the job container's own address for the
# execution node.
DIFFERS_BY_NATURE = {"timestamp", "evidence.expected.operator_address"}
DEVELOPMENT_ONLY = ("pytest", "molecule", "ansible-lint", "ruff", "yamllint", "moto", "selenium", "ansible-builder")


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ee") / "context"
    return directory, ee_image.write_context(directory)


def test_the_build_context_holds_the_runtime_pins_with_their_hashes_and_the_collection(context):
    directory, tag = context
    requirements = (directory / "requirements.txt").read_text()
    lock = ee_image.parse_lock(ee_image.LOCK.read_text())
    for name in ee_image.runtime_pins():
        # The lock's own lines, hashes included.
        assert lock[name].text in requirements, name
    for name in DEVELOPMENT_ONLY:
        assert f"\n{name}==" not in f"\n{requirements}", name
    # One wheel per requirement, and pip's, nothing else.
    pinned = {line.split("==")[0] for line in requirements.splitlines() if "==" in line}
    wheels = {ee_image._normal(path.name.split("-")[0]) for path in (directory / "wheels").glob("*.whl")}
    assert wheels == pinned | {"pip"}
    (tarball,) = (directory / "collection").glob("cyberveilig-landingzone-*.tar.gz")
    containerfile = (directory / "Containerfile").read_text()
    assert f"FROM {ee_image.base_image_id()}" in containerfile
    assert "--no-index" in containerfile and "--require-hashes" in containerfile
    assert tarball.name in containerfile
    assert tag == (directory / "TAG").read_text().strip()
    assert tag.startswith(f"{ee_image.IMAGE_REPOSITORY}:")


def test_the_image_tag_changes_with_the_lock_the_collection_and_the_base(context):
    directory, tag = context
    requirements = (directory / "requirements.txt").read_text()
    (tarball,) = (directory / "collection").glob("*.tar.gz")
    collection = ee_image.collection_digest(tarball)
    containerfile = (directory / "Containerfile").read_text()
    base = ee_image.base_image_id()
    same = ee_image.image_tag(requirements, collection, containerfile, base)
    assert ee_image.image_tag(requirements, collection, containerfile, base) == same
    others = {
        ee_image.image_tag(
            requirements.replace("ansible-core==2", "ansible-core==9", 1), collection, containerfile, base
        ),
        ee_image.image_tag(requirements, collection.replace(":", ":x", 1), containerfile, base),
        ee_image.image_tag(requirements, collection, containerfile + "#", base),
        ee_image.image_tag(requirements, collection, containerfile, base + "0"),
    }
    assert same not in others and len(others) == 4


def test_the_collection_digest_ignores_the_build_time_but_not_the_content(tmp_path):
    def built(name: str) -> Path:
        out = tmp_path / name
        subprocess.run(
            [BIN / "ansible-galaxy", "collection", "build", "--output-path", out, ROOT], check=True, capture_output=True
        )
        return next(out.glob("*.tar.gz"))

    first, second = built("one"), built("two")
    assert ee_image.collection_digest(first) == ee_image.collection_digest(second)
    assert ee_image.collection_digest(first).startswith("cyberveilig.landingzone:")


def _assert_the_image_runs_ansible_with_the_collection(tag: str) -> None:
    version = podman("run", "--rm", "--network=none", tag, "ansible-playbook", "--version")
    core = ee_image.parse_lock(ee_image.LOCK.read_text())["ansible-core"].text.split("==")[1].split()[0]
    assert f"ansible-playbook [core {core}]" in version and f"python version = {ee_image.TARGET_PYTHON}" in version
    listed = podman("run", "--rm", "--network=none", tag, "ansible-galaxy", "collection", "list", "--format", "json")
    found = {name: path for path, names in json.loads(listed).items() for name in names}
    assert found["cyberveilig.landingzone"] == "/usr/share/ansible/collections/ansible_collections"
    assert "community.general" in found and "ansible.windows" in found


@pytest.fixture(scope="module")
def lab():
    try:
        up = landingzone(FIXTURES, "lab", "up", MUNICIPALITY)
        assert up.returncode == 0, up.stdout + up.stderr
        yield
    finally:
        landingzone(FIXTURES, "lab", "down", MUNICIPALITY)


def _cli_results(fleet: Path) -> list[dict]:
    audit = landingzone(fleet, "--vault-password-file", str(PASSWORD_FILE), "--json", "audit", MUNICIPALITY)
    assert audit.returncode in (0, 1), audit.stdout + audit.stderr
    (evidence,) = (fleet / "evidence" / MUNICIPALITY).iterdir()
    return json.loads((evidence / "results.json").read_text())["results"]


def _private_data_dir(base: Path) -> Path:
    """What AWX gives an execution node for one job: the project's playbooks, the inventory as the
    fleet repository holds it (without the lab's own settings), the template's variables, the
    Machine and the Vault credentials."""
    data = base / "job"
    shutil.copytree(ROOT / "playbooks", data / "project" / "playbooks")
    inventory = data / "inventory"
    (inventory / "group_vars" / "all").mkdir(parents=True)
    shutil.copy(FIXTURES / MUNICIPALITY / "hosts.yml", inventory / "hosts.yml")
    shutil.copy(FIXTURES / MUNICIPALITY / "group_vars" / "all" / "vault.yml", inventory / "group_vars" / "all")
    shutil.copy(FIXTURES / MUNICIPALITY / "known_hosts", data / "known_hosts")
    connection = {
        "ansible_user": "operator",
        "ansible_become": True,
        "ansible_python_interpreter": "/usr/bin/python3",
        # The municipality's host keys, checked as strictly as the CLI checks them.
        "ansible_ssh_common_args": " ".join(ssh_arguments(Path("/runner/known_hosts"))),
    }
    (inventory / "group_vars" / "all" / "connection.yml").write_text(yaml.safe_dump(connection))
    card_vars = landingzone(FIXTURES, "--vault-password-file", str(PASSWORD_FILE), "card-vars", MUNICIPALITY)
    assert card_vars.returncode == 0, card_vars.stderr
    env = data / "env"
    env.mkdir()
    (env / "extravars").write_text(card_vars.stdout)
    (env / "ssh_key").write_text((STATE / "operator_ed25519").read_text())
    password = PASSWORD_FILE.read_text().strip()
    (env / "passwords").write_text(json.dumps({r"^Vault password:\s*?$": password}))
    (env / "cmdline").write_text("--ask-vault-pass")
    return data


def _execution_node_audit(tag: str, data: Path) -> list[dict]:
    """`ansible-runner run --process-isolation --container-image`: the job runs in the image, on
    the lab's network, the hosts' names resolved as the municipality's DNS would."""
    options = [f"--container-option=--network=lz-{MUNICIPALITY}"]
    options += [f"--container-option=--add-host={name}:{address}" for name, address in HOSTS.items()]
    env = {key: value for key, value in ENV.items() if not key.startswith("ANSIBLE_")}
    done = subprocess.run(
        [BIN / "ansible-runner", "run", data, "--playbook", "playbooks/audit.yml", "--ident", "ee",
         "--process-isolation", "--process-isolation-executable", "podman", "--container-image", tag, *options],
        cwd=data, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    observer = RunObserver(MUNICIPALITY, list(HOSTS), {PASSWORD_FILE.read_text().strip()})
    events = sorted((data / "artifacts" / "ee" / "job_events").glob("*.json"), key=lambda p: int(p.name.split("-")[0]))
    for path in events:
        observer.handle(json.loads(path.read_text()))
    # The records as the CLI writes them into results.json, from the job's events.
    return [result_record(record, "") for record in observer.results]


def _by_control(records: list[dict]) -> dict[tuple[str, str], dict]:
    return {(record["host"], record["control"]): record for record in records}


@pytest.mark.slow
@pytest.mark.lab
def test_audit_in_the_execution_environment_matches_the_cli(lab, tmp_path):
    tag = ee_image.build(ROOT / ".cache" / "ee" / "context")
    _assert_the_image_runs_ansible_with_the_collection(tag)
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    (fleet / MUNICIPALITY).symlink_to(FIXTURES / MUNICIPALITY)
    cli = _by_control(_cli_results(fleet))
    node = _by_control(_execution_node_audit(tag, _private_data_dir(tmp_path)))
    assert cli, "the CLI's audit recorded no control"
    assert {host for host, _ in cli} == set(HOSTS)
    assert node.keys() == cli.keys()
    statuses = {key: (record["status"], node[key]["status"]) for key, record in cli.items()}
    assert {key: pair for key, pair in statuses.items() if pair[0] != pair[1]} == {}
    differing = {}
    for key, record in cli.items():
        for path in _differences(record, node[key]):
            differing.setdefault(path, []).append(key)
    assert differing.keys() <= DIFFERS_BY_NATURE, {
        path: (keys[0], _at(cli[keys[0]], path), _at(node[keys[0]], path)) for path, keys in differing.items()
    }
    # The one address that differs is each side's own: the gateway of the lab network for the CLI,
    # an address of that network that is no lab host's for the execution node.
    for host, control in differing.get("evidence.expected.operator_address", []):
        assert _at(cli[host, control], "evidence.expected.operator_address") == "10.231.78.1"
        node_address = _at(node[host, control], "evidence.expected.operator_address")
        assert node_address.startswith("10.231.78.") and node_address not in {"10.231.78.1", *HOSTS.values()}


def _differences(one, other, prefix: str = "") -> set[str]:
    """The dotted paths of the values that differ, down through nested mappings."""
    if not (isinstance(one, dict) and isinstance(other, dict)):
        return set() if one == other else {prefix}
    paths = set()
    for name in one.keys() | other.keys():
        paths |= _differences(one.get(name), other.get(name), f"{prefix}.{name}" if prefix else name)
    return paths


def _at(record: dict, path: str):
    for part in path.split("."):
        record = record.get(part) if isinstance(record, dict) else None
    return record
