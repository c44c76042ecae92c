"""The supplier-role contract test: install a role on a baselined lab host and hold it to
its meta/landingzone.yml. ``landingzone contract-test ROLE_DIR`` runs it; so do the tests.

Clauses, each checked against the real thing in a podman container of the lab image:

- ``contract``: meta/landingzone.yml is valid (checked before any container starts);
- ``install``: the role applies on the baselined host;
- ``services``: every unit the contract names in ``services`` is active after the install;
- ``ports``: every new listener beyond loopback (``ss -Hltnu`` before and after) is a
  declared port;
- ``firewall``: every declared port is opened by the role's drop-in in the baseline's chain;
- ``baseline``: after the install the baseline audit passes, except for controls the card
  waives; a control the role breaks is reported with its waiver request, if it made one;
- ``health_check``: the declared check passes;
- ``backup.paths``: the install wrote no data outside the declared paths and databases;
- ``backup.restore``: a restic backup of the declared paths and database dumps, to a local
  repository in the container, restores byte for byte, and each dump loads into a fresh
  database with the same content.

The backup uses restic directly: the contract's backup set is what a backup agent is given,
and this proves the set is complete and restorable without depending on that agent.

The baselined host is an image made once from the lab image and kept, with the throwaway CA
that issued its certificate, until the lab image, the baseline or these playbooks change.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import ansible
import yaml

from landingzone.errors import LandingzoneError
from landingzone.lab.images import image_name
from landingzone.paths import collection_root
from landingzone.supplier_role import (
    Contract,
    ContractError,
    annotate_waiver_requests,
    backup_set,
    health_check,
    load,
    waiver_requests,
)

PLAYBOOKS = Path(__file__).resolve().parent / "contract_playbooks"
IMAGE = image_name("bookworm")
BASE_REPOSITORY = "localhost/landingzone-contract-base"
# The baselined image lives in podman's store, one per machine; the CA that issued its host
# certificate lives beside it, shared by every checkout ($LZ_CONTRACT_CACHE), and the image is
# labelled with that CA's fingerprint, so an image and a CA that do not belong together (one
# checkout rebuilt the image, another kept the old CA) are never used together.
DEFAULT_CACHE = Path("/var/cache/landingzone/contract-test")
CA_LABEL = "org.cyberveilig.landingzone.contract-ca"
HOST = "lz-contract-host"
BIN = Path(sys.executable).parent
# What the baselined image is made from: a change to any of these makes a new one.
BASELINE_SOURCES = ("roles/linux_baseline", "plugins/modules", "plugins/module_utils", "plugins/action")
BASELINE_VARS = "molecule/linux_baseline/vars/baseline.yml"
CLAUSES = {
    "contract": "meta/landingzone.yml is valid",
    "install": "the role applies on a baselined lab host",
    "services": "every declared service is active after the install",
    "ports": "every new listener beyond loopback is a declared port",
    "firewall": "every declared port is opened by the role's nftables drop-in",
    "baseline": "the baseline audit passes but for controls the card waives",
    "health_check": "the declared health check passes",
    "backup.paths": "the install wrote data only in the declared paths and databases",
    "backup.restore": "a backup of the declared data restores intact",
}
LOOPBACK_PREFIXES = ("127.", "[::1]", "::1", "[::ffff:127.")
# Where a service's data may live; package and system state below them is not data.
DATA_ROOTS = ("/srv", "/opt", "/var/lib", "/var/opt", "/var/www", "/var/spool", "/home")
SYSTEM_STATE = (
    "/var/lib/apt",
    "/var/lib/dpkg",
    "/var/lib/systemd",
    "/var/lib/ucf",
    "/var/lib/sudo",
    "/var/lib/private/systemd",
    "/var/lib/logrotate",
    "/var/lib/dhcp",
    "/var/lib/nginx",
    "/var/spool/rsyslog",
)
# A declared database's engine keeps its files here; the dump is what is backed up.
ENGINE_STATE = {"postgresql": "/var/lib/postgresql", "mariadb": "/var/lib/mysql"}
RESTIC_REPO = "/var/tmp/lz-contract/repo"
DUMP_DIR = "/var/tmp/lz-contract/dumps"
RESTORE_DIR = "/var/tmp/lz-contract/restore"
MARKER = "/var/tmp/lz-contract/installed-after"
UNRESTRICTED = "grep -v -e '^.restrict ' -e '^.unrestrict '"


@functools.cache
def _root() -> Path:
    return collection_root()


def environment() -> dict[str, str]:
    """The environment of podman and ansible-playbook: the checkout's containers.conf and ansible.cfg."""
    return {
        **os.environ,
        "CONTAINERS_CONF": str(_root() / "lab" / "containers.conf"),
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "ANSIBLE_FORCE_COLOR": "0",
        # Every test container has the same inventory name: facts must not outlive a run.
        "ANSIBLE_CACHE_PLUGIN": "memory",
        # Modules reach the container through podman exec's stdin instead of being copied in first.
        "ANSIBLE_PIPELINING": "True",
    }


@dataclass
class Report:
    role: str
    violations: list[tuple[str, str]] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    baseline_results: list[dict] = field(default_factory=list)
    container: str = ""

    def check(self, clause: str) -> None:
        if clause not in self.checked:
            self.checked.append(clause)

    def violate(self, clause: str, message: str) -> None:
        self.check(clause)
        self.violations.append((clause, message))

    @property
    def clauses(self) -> set[str]:
        return {clause for clause, _ in self.violations}

    @property
    def passed(self) -> bool:
        return not self.violations

    def clause_results(self) -> list[dict]:
        """Every clause in order: pass, fail (with why) or skip (not reached after an earlier failure)."""
        rows = []
        for clause, meaning in CLAUSES.items():
            messages = [message for name, message in self.violations if name == clause]
            if messages:
                rows.append({"clause": clause, "status": "fail", "messages": messages})
            elif clause in self.checked:
                rows.append({"clause": clause, "status": "pass", "messages": [meaning]})
            else:
                rows.append({"clause": clause, "status": "skip", "messages": ["not checked: an earlier clause failed"]})
        return rows

    def lines(self) -> list[str]:
        """One line per clause (a failure's further lines indented below it)."""
        lines = []
        for row in self.clause_results():
            for message in row["messages"]:
                first, *rest = message.splitlines() or [""]
                lines.append(f"{row['status']:<4}  {row['clause']}: {first}")
                lines += [f"        {line}" for line in rest]
        verdict = "keeps its contract" if self.passed else "breaks its contract"
        return [*lines, f"role {self.role} {verdict}"]

    def as_dict(self) -> dict:
        return {
            "role": self.role,
            "passed": self.passed,
            "clauses": self.clause_results(),
            "timings": {name: round(seconds, 1) for name, seconds in self.timings.items()},
        }

    def text(self) -> str:
        if not self.violations:
            return f"role {self.role} keeps its contract"
        lines = [f"role {self.role} breaks its contract:"]
        lines += [f"  contract clause {clause}: {message}" for clause, message in self.violations]
        return "\n".join(lines)


def _run(argv, timeout=600, check=True):
    result = subprocess.run(
        [str(a) for a in argv],
        cwd=_root(),
        env=environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        tail = (result.stdout + result.stderr)[-4000:]
        raise LandingzoneError(f"{shlex.join(map(str, argv))} failed ({result.returncode}):\n{tail}", exit_code=3)
    return result


def podman(*args, timeout=120, check=True):
    return _run(["podman", *args], timeout=timeout, check=check)


def in_container(container, script, timeout=300, check=True):
    return podman("exec", container, "bash", "-c", script, timeout=timeout, check=check)


def start_container(image: str, name: str) -> None:
    podman(
        "run", "-d", "--name", name, "--hostname", HOST, "--systemd=always", "--cap-add", "NET_ADMIN",
        image, "/lib/systemd/systemd",
    )  # fmt: skip
    for _ in range(60):
        state = in_container(name, "systemctl is-system-running || true", check=False).stdout.strip()
        if state in ("running", "degraded"):
            return
        time.sleep(0.5)
    raise LandingzoneError(f"container {name} did not finish booting (systemd: {state})", exit_code=3)


def remove_container(name: str) -> None:
    podman("rm", "-f", "-t", "0", name, check=False)


def ansible_playbook(playbook: str, container: str, workdir: Path, roles_path: list[Path], extra: dict, timeout=900):
    inventory = workdir / "inventory.ini"
    inventory.write_text(f"{HOST} ansible_connection=containers.podman.podman ansible_host={container}\n")
    extra_file = workdir / f"{Path(playbook).stem}-vars.json"
    extra_file.write_text(json.dumps(extra))
    env_roles = os.pathsep.join(str(p) for p in [*roles_path, _root() / "roles"])
    argv = ["ansible-playbook", "-i", inventory, PLAYBOOKS / playbook, "-e", f"@{extra_file}"]
    result = subprocess.run(
        [str(a) for a in argv],
        cwd=_root(),
        env={**environment(), "ANSIBLE_ROLES_PATH": env_roles},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    (workdir / f"{Path(playbook).stem}.log").write_text(result.stdout + result.stderr)
    return result


def failure_of(result) -> str:
    """The failed task and its message from an ansible-playbook run, else the end of its output."""
    output = result.stdout + result.stderr
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.startswith(("fatal:", "failed:", "ERROR!", "[ERROR]")):
            task = next((lines[i] for i in range(index, -1, -1) if lines[i].startswith("TASK [")), "")
            return "\n".join([task, *lines[index : index + 12]])[:3000]
    return output[-3000:]


def make_pki(directory: Path) -> None:
    _run([sys.executable, "-m", "landingzone.pki", directory, HOST])


@dataclass(frozen=True)
class BaselinedHost:
    """A lab image with the baseline applied, and the CA that issued its host certificate."""

    image: str
    pki_dir: Path


def require_lab_image() -> None:
    if shutil.which("podman") is None:
        raise LandingzoneError("contract-test: podman is not installed: run `make setup`")
    if podman("image", "exists", IMAGE, check=False).returncode != 0:
        raise LandingzoneError(
            f"contract-test: the lab image {IMAGE} is missing: build it with `landingzone lab images` (or `make setup`)"
        )


def _digest_tree(digest, path: Path) -> None:
    for file in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(file.relative_to(_root())).encode() + b"\0" + file.read_bytes() + b"\0")


def baseline_key() -> str:
    """What the baselined image depends on: the lab image, the baseline, its settings, these playbooks."""
    digest = hashlib.sha256()
    digest.update(podman("image", "inspect", "--format", "{{.Id}}", IMAGE).stdout.strip().encode())
    digest.update(ansible.__version__.encode())
    for source in BASELINE_SOURCES:
        _digest_tree(digest, _root() / source)
    digest.update((_root() / BASELINE_VARS).read_bytes())
    for playbook in sorted(PLAYBOOKS.glob("*.yml")):
        digest.update(playbook.read_bytes())
    return digest.hexdigest()[:16]


def _cache_dir() -> Path:
    return Path(os.environ.get("LZ_CONTRACT_CACHE") or DEFAULT_CACHE)


def _ca_fingerprint(pki_dir: Path) -> str:
    return hashlib.sha256((pki_dir / "ca.crt").read_bytes()).hexdigest()[:32]


def is_ready(host: BaselinedHost) -> bool:
    """The image exists and was baselined with the certificate of the CA in `host.pki_dir`."""
    if not (host.pki_dir / f"{HOST}.key").is_file() or not (host.pki_dir / "ca.crt").is_file():
        return False
    labels = podman("image", "inspect", "--format", "{{json .Labels}}", host.image, check=False)
    if labels.returncode != 0:
        return False
    return (json.loads(labels.stdout or "null") or {}).get(CA_LABEL) == _ca_fingerprint(host.pki_dir)


def baselined_image(log=lambda line: None) -> BaselinedHost:
    """The lab image with the baseline applied: made once (a minute or two) and kept until
    the lab image, the baseline or the playbooks change; older ones are removed then."""
    require_lab_image()
    key = baseline_key()
    cache = _cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    host = BaselinedHost(image=f"{BASE_REPOSITORY}:{key}", pki_dir=cache / key / "pki")
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_ready(host):
            return host
        log(f"baselining a lab host once for this baseline (image {host.image}) ...")
        _remove_older_images(keep=host.image)
        _build_baselined_image(host, cache / key)
    return host


def _build_baselined_image(host: BaselinedHost, workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    make_pki(host.pki_dir)
    name = f"lz-contract-base-{uuid.uuid4().hex[:8]}"
    start_container(IMAGE, name)
    try:
        result = ansible_playbook("baseline.yml", name, workdir, [], _common_vars(host, []))
        if result.returncode != 0:
            raise LandingzoneError("contract-test: the baseline did not apply:\n" + failure_of(result), exit_code=3)
        label = f"LABEL {CA_LABEL}={_ca_fingerprint(host.pki_dir)}"
        podman("commit", "-q", "--change", label, name, host.image, timeout=300)
    finally:
        remove_container(name)


def _remove_older_images(keep: str) -> None:
    listed = podman("images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", f"reference={BASE_REPOSITORY}")
    for image in set(listed.stdout.split()) - {keep}:
        podman("rmi", "-f", image, check=False)
        shutil.rmtree(_cache_dir() / image.rpartition(":")[2], ignore_errors=True)


def _common_vars(host: BaselinedHost, card_waivers: list[dict]) -> dict:
    return {
        "contract_baseline_vars": str(_root() / BASELINE_VARS),
        "contract_pki_dir": str(host.pki_dir),
        "linux_baseline_waivers": card_waivers,
    }


def listeners(container: str) -> set[tuple[str, str, int]]:
    """(proto, address, port) of every listening socket beyond loopback."""
    found = set()
    for line in in_container(container, "ss -Hltnu").stdout.splitlines():
        words = line.split()
        if len(words) < 5:
            continue
        proto, local = words[0], words[4]
        address, _, port = local.rpartition(":")
        if address.startswith(LOOPBACK_PREFIXES) or address.endswith("%lo"):
            continue
        found.add((proto, address, int(port)))
    return found


def check_ports(report, contract, before, after):
    report.check("ports")
    declared = {(p["proto"], p["port"]) for p in contract.data["ports"]}
    for proto, address, port in sorted(after - before):
        if (proto, port) not in declared:
            report.violate(
                "ports", f"new listener {proto}/{port} on {address} is not declared in {contract.source} (ports)"
            )


def check_firewall(report, contract, container):
    """Every declared port has its rule, from the role's drop-in, in the loaded ruleset."""
    report.check("firewall")
    chain = in_container(container, "nft list chain inet landingzone_filter input", check=False).stdout
    for port in contract.data["ports"]:
        wanted = f"{port['proto']} dport {port['port']} "
        if not any(wanted in line and f'"{contract.role}:' in line for line in chain.splitlines()):
            report.violate(
                "firewall",
                f"{port['proto']}/{port['port']} is declared but not opened: no rule of role {contract.role} in the "
                "baseline's input chain (install /etc/nftables.d/<role>.nft with the supplier_firewall_dropin filter)",
            )


def check_baseline(report, contract, results):
    report.check("baseline")
    requests = waiver_requests(contract)
    results = annotate_waiver_requests(results, requests)
    report.baseline_results = results
    requested = {r["control"] for r in requests}
    for result in results:
        if result.get("status") not in ("fail", "error"):
            continue
        control = result["id"]
        if control in requested:
            report.violate(
                "baseline",
                f"{control} fails after the install; the role requested a waiver but the card has none "
                f"(approver and expiry needed): {result.get('reason', '')}",
            )
        else:
            report.violate(
                "baseline",
                f"{control} fails after the install and {contract.source} requests no waiver for it "
                f"(undeclared waiver): {result.get('reason', '')}",
            )


def check_services(report, contract, container):
    """The units the contract names are the role's own and running: a restore stops and starts
    exactly these, so a typo here would only show in the middle of a restore."""
    report.check("services")
    units = backup_set(contract)["services"]
    if not units:
        return
    states = in_container(container, f"systemctl is-active {shlex.join(units)}", check=False).stdout.split()
    if len(states) != len(units):  # systemctl answers one line per unit; anything else is no answer
        states = ["unknown"] * len(units)
    inactive = [f"{unit} ({state})" for unit, state in zip(units, states, strict=True) if state != "active"]
    if inactive:
        report.violate(
            "services", f"declared in {contract.source} but not active after the install: {', '.join(inactive)}"
        )


def check_health(report, contract, container):
    report.check("health_check")
    check = health_check(contract)
    if check["kind"] == "command":
        script = shlex.join(check["argv"])
    else:
        # The drill verifies the certificate by name; here the port, path and answer are what is proven.
        script = (
            "python3 - <<'PY'\nimport ssl, urllib.request\n"
            "context = ssl.create_default_context()\n"
            "context.check_hostname = False\n"
            "context.verify_mode = ssl.CERT_NONE\n"
            f"print(urllib.request.urlopen('https://127.0.0.1:{check['port']}{check['path']}', context=context,"
            f" timeout={check['timeout']}).read().decode())\nPY"
        )
    try:
        result = in_container(container, script, timeout=check["timeout"] + 10, check=False)
    except subprocess.TimeoutExpired:
        report.violate("health_check", f"did not answer within {check['timeout']} s")
        return
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or check["expect"] not in result.stdout:
        report.violate(
            "health_check",
            f"{check['kind']} check failed (exit {result.returncode}, expected {check['expect']!r}): {output[-400:]}",
        )


def check_data_paths(report, contract, container):
    report.check("backup.paths")
    declared = backup_set(contract)
    allowed = list(declared["paths"]) + [ENGINE_STATE[db["engine"]] for db in declared["databases"]]
    prune = " -o ".join(f"-path {shlex.quote(p)}" for p in SYSTEM_STATE)
    roots = " ".join(DATA_ROOTS)
    script = f"find {roots} -xdev \\( {prune} \\) -prune -o -type f -newer {MARKER} -print 2>/dev/null || true"
    written = in_container(container, script).stdout.split()
    outside = [p for p in written if not any(p == a or p.startswith(a.rstrip("/") + "/") for a in allowed)]
    if outside:
        shown = ", ".join(sorted(outside)[:5]) + (" …" if len(outside) > 5 else "")
        report.violate(
            "backup.paths", f"the install wrote data outside the declared paths of {contract.source}: {shown}"
        )


def _dump(db: dict, dump: str) -> str:
    """The shell step that dumps one declared database to `dump`."""
    if db["engine"] == "mariadb":
        return f"mariadb-dump --single-transaction --skip-dump-date {db['name']} > {dump}"
    return f"runuser -u postgres -- pg_dump -Fc -d {db['name']} > {dump}"


def _load_and_compare(db: dict, restored: str) -> list[str]:
    """The shell steps that load a restored dump into a fresh database and compare it with the
    original: same schema, rows and grants, read as a plain dump of both, line for line."""
    name, check_db = db["name"], f"{db['name']}_restorecheck"
    differs = f" || {{ echo 'database {name} differs after the restore'; exit 1; }}"
    if db["engine"] == "mariadb":
        plain = "mariadb-dump --skip-dump-date --skip-comments"
        return [
            f"mariadb -e 'DROP DATABASE IF EXISTS {check_db}; CREATE DATABASE {check_db}'",
            f"mariadb {check_db} < {restored}",
            f"diff <({plain} {name}) <({plain} {check_db}) >/dev/null{differs}",
            f"mariadb -e 'DROP DATABASE {check_db}'",
        ]
    # Newer pg_dump versions write restrict lines with a random key: those are left out.
    plain = "runuser -u postgres -- pg_dump --no-owner"
    return [
        f"runuser -u postgres -- dropdb --if-exists {check_db}",
        f"runuser -u postgres -- createdb {check_db}",
        f"runuser -u postgres -- pg_restore --no-owner -d {check_db} {restored}",
        f"diff <({plain} {name} | {UNRESTRICTED}) <({plain} {check_db} | {UNRESTRICTED}) >/dev/null{differs}",
        f"runuser -u postgres -- dropdb {check_db}",
    ]


def check_backup_restores(report, contract, container):
    report.check("backup.restore")
    declared = backup_set(contract)
    password = uuid.uuid4().hex
    env = f"export RESTIC_REPOSITORY={RESTIC_REPO} RESTIC_PASSWORD={password}"
    dumps = [f"{DUMP_DIR}/{db['engine']}-{db['name']}.dump" for db in declared["databases"]]
    steps = [env, f"mkdir -p {DUMP_DIR} {RESTORE_DIR}", "restic init --quiet"]
    steps += [_dump(db, dump) for db, dump in zip(declared["databases"], dumps, strict=True)]
    sources = list(declared["paths"]) + dumps
    existing = " ".join(shlex.quote(p) for p in sources)
    if sources:
        steps += [f"restic backup --quiet {existing}", f"restic restore latest --quiet --target {RESTORE_DIR}"]
        for source in sources:
            steps.append(f"diff -r --no-dereference {shlex.quote(source)} {RESTORE_DIR}{shlex.quote(source)}")
    for db, dump in zip(declared["databases"], dumps, strict=True):
        steps += _load_and_compare(db, f"{RESTORE_DIR}{dump}")
    if not sources:
        return
    result = in_container(container, "set -e\n" + "\n".join(steps), timeout=600, check=False)
    if result.returncode != 0:
        report.violate(
            "backup.restore",
            f"a restic backup of the declared data did not restore intact: {(result.stdout + result.stderr)[-600:]}",
        )


def run_contract_test(
    role_dir: Path,
    base: BaselinedHost,
    workdir: Path,
    card_waivers: list[dict] | None = None,
    role_vars: dict | None = None,
    keep: bool = False,
) -> Report:
    """Hold the role in `role_dir` to its contract on a fresh container of the baselined image.

    With `keep` the container is left running for a look inside (its name is ``report.container``).
    """
    role_dir = Path(role_dir).resolve()
    report = Report(role=role_dir.name)
    try:
        contract = load(role_dir)
    except ContractError as exc:
        report.violate("contract", str(exc))
        return report
    report.check("contract")
    workdir.mkdir(parents=True, exist_ok=True)
    common = _common_vars(base, list(card_waivers or []))
    name = f"lz-contract-{role_dir.name.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    start_container(base.image, name)
    report.container = name
    try:
        _hold_to_contract(report, contract, role_dir, name, workdir, common, role_vars or {})
    finally:
        if not keep:
            remove_container(name)
        report.timings["total"] = time.monotonic() - started
    return report


def _hold_to_contract(report, contract: Contract, role_dir: Path, name: str, workdir: Path, common, role_vars):
    before = listeners(name)
    in_container(name, f"mkdir -p {Path(MARKER).parent} && touch {MARKER} && sleep 1")
    clock = time.monotonic()
    install_vars = {**common, "contract_role": role_dir.name, **role_vars}
    installed = ansible_playbook("install.yml", name, workdir, [role_dir.parent], install_vars)
    report.timings["install"] = time.monotonic() - clock
    if installed.returncode != 0:
        report.violate("install", "the role did not apply:\n" + failure_of(installed))
        return
    report.check("install")
    check_services(report, contract, name)
    check_ports(report, contract, before, listeners(name))
    check_firewall(report, contract, name)
    clock = time.monotonic()
    results_file = workdir / "baseline-results.json"
    audited = ansible_playbook("audit.yml", name, workdir, [], {**common, "contract_results_file": str(results_file)})
    report.timings["audit"] = time.monotonic() - clock
    if audited.returncode != 0:
        report.violate("baseline", "the baseline audit did not run:\n" + failure_of(audited))
    else:
        check_baseline(report, contract, json.loads(results_file.read_text()))
    check_health(report, contract, name)
    check_data_paths(report, contract, name)
    clock = time.monotonic()
    check_backup_restores(report, contract, name)
    report.timings["backup_restore"] = time.monotonic() - clock


def read_role_vars(path: str | Path) -> dict:
    """The variables an inventory would give the role, from a YAML or JSON file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LandingzoneError(f"{path}: --vars: cannot be read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise LandingzoneError(f"{path}: {where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise LandingzoneError(f"{path}: (top level): must be a mapping of variable names to values")
    return data


def contract_test(role_dir: str | Path, role_vars: dict | None = None, keep: bool = False, log=print):
    """The whole contract test of one role directory, as `landingzone contract-test` runs it.

    The contract is read first: a bad one raises ContractError (naming file and field) before
    any container starts. Returns the report and the work directory (playbook logs), which is
    removed unless `keep`, as is the role's container.
    """
    role_dir = Path(role_dir).resolve()
    if not role_dir.is_dir():
        raise LandingzoneError(f"contract-test: ROLE_DIR: {role_dir} is not a directory")
    load(role_dir)
    base = baselined_image(log)
    workdir = Path(tempfile.mkdtemp(prefix=f"lz-contract-{role_dir.name}-"))
    try:
        report = run_contract_test(role_dir, base, workdir, role_vars=role_vars, keep=keep)
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return report, workdir
