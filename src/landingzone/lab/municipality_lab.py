"""`landingzone lab up|down|status`: a municipality's hosts as local containers.

The inventory is the one source: every host in inventories/<municipality>/
becomes a container of the same name on the lab network, at its lab_address
(and, where the lab is dual stack with a lab_subnet6, at its lab_address6).
What `up` makes carries the lab's label or lives in the lab's state directory,
and `down` removes exactly that.
"""

import datetime
import ipaddress
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from landingzone.card.load import read_card
from landingzone.errors import LandingzoneError
from landingzone.inventory import host_vars, municipality_dir
from landingzone.lab.desk_image import DESK_IMAGE, ensure_desk_image
from landingzone.lab.host_certificates import certify, lab_authority, remove_known_hosts, write_known_hosts
from landingzone.lab.images import ensure_images
from landingzone.lab.lab_addresses import addresses_in_use, free_address
from landingzone.lab.offsite_s3 import lab_s3, start_s3
from landingzone.lab.podman import Podman
from landingzone.lab.stock_images import ensure_stock_images, is_stock_image
from landingzone.pki import CertificateAuthority
from landingzone.ssh_trust import config_value, known_hosts_of, ssh_arguments, ssh_config_lines

LAB_LABEL = "org.cyberveilig.landingzone.lab"
BOOT_TIMEOUT = 60
# They run as real root without a user namespace: these would let a container
# change the host's kernel, audit rules or clock (see the design page).
FORBIDDEN_CAPABILITIES = {"ALL", "SYS_ADMIN", "AUDIT_CONTROL", "SYS_TIME", "SYS_MODULE", "SYS_RAWIO", "SYS_BOOT"}
SSH_OPTIONS = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR"]


@dataclass
class LabHost:
    name: str
    address: str
    image: str
    network: str
    capabilities: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)
    sysctls: dict[str, str] = field(default_factory=dict)
    address6: str = ""


@dataclass
class Lab:
    municipality: str
    network: str
    subnet: str
    hosts: list[LabHost]
    state_dir: Path
    subnet6: str = ""
    # What ssh trusts for this municipality: the lab's SSH host CA (see host_certificates.py).
    known_hosts: Path | None = None

    @property
    def key_path(self) -> Path:
        return self.state_dir / "operator_ed25519"


def state_dir_for(root: Path, municipality: str) -> Path:
    return root / ".cache" / "lab" / municipality


def load_lab(root: Path, fleet: Path, municipality: str) -> Lab:
    inventory = municipality_dir(fleet, municipality)
    hosts_file = inventory / "hosts.yml"
    variables = host_vars(hosts_file)
    if not variables:
        raise LandingzoneError(f"{hosts_file}: has no hosts")
    first = next(iter(variables.values()))
    network, subnet = first.get("lab_network"), first.get("lab_subnet")
    if not network or not subnet:
        raise LandingzoneError(f"{inventory}/group_vars/all: lab_network and lab_subnet are required for a lab")
    try:
        net = ipaddress.ip_network(subnet)
    except ValueError as exc:
        raise LandingzoneError(f"{inventory}/group_vars/all: lab_subnet: {exc}") from None
    subnet6 = str(first.get("lab_subnet6") or "")
    try:
        net6 = ipaddress.ip_network(subnet6) if subnet6 else None
    except ValueError as exc:
        raise LandingzoneError(f"{inventory}/group_vars/all: lab_subnet6: {exc}") from None
    if net6 is not None and net6.version != 6:
        raise LandingzoneError(f"{inventory}/group_vars/all: lab_subnet6: {subnet6!r} is not an IPv6 network")
    hosts = []
    for name, hv in variables.items():
        address = hv.get("lab_address", "")
        try:
            in_subnet = ipaddress.ip_address(address) in net
        except ValueError:
            in_subnet = False
        if not in_subnet:
            raise LandingzoneError(f"{hosts_file}: {name}.lab_address: {address!r} is not an address in {subnet}")
        address6 = str(hv.get("lab_address6") or "")
        if address6 and (net6 is None or not _in_network(address6, net6)):
            raise LandingzoneError(
                f"{hosts_file}: {name}.lab_address6: {address6!r} is not an address in "
                f"lab_subnet6 ({subnet6 or 'not set'})"
            )
        capabilities = [str(c).upper().removeprefix("CAP_") for c in hv.get("lab_capabilities", [])]
        bad = sorted(set(capabilities) & FORBIDDEN_CAPABILITIES)
        if bad:
            raise LandingzoneError(
                f"{hosts_file}: {name}.lab_capabilities: {', '.join(bad)} would reach "
                "the host's kernel from a lab container and is refused"
            )
        sysctls = {str(k): str(v) for k, v in (hv.get("lab_sysctls") or {}).items()}
        not_net = [k for k in sysctls if not k.startswith("net.")]
        if not_net:
            raise LandingzoneError(
                f"{hosts_file}: {name}.lab_sysctls: {', '.join(not_net)} is not a network "
                "namespace setting; only net.* can be set per container"
            )
        devices = list(hv.get("lab_devices", []))
        hosts.append(LabHost(name, address, hv.get("lab_image", ""), network, capabilities, devices, sysctls, address6))
        if not hosts[-1].image:
            raise LandingzoneError(f"{hosts_file}: {name}.lab_image: missing")
    return Lab(
        municipality, network, subnet, hosts, state_dir_for(root, municipality), subnet6, known_hosts_of(inventory)
    )


def _in_network(address: str, network) -> bool:
    try:
        return ipaddress.ip_address(address) in network
    except ValueError:
        return False


def _suite_of(image: str) -> str:
    return image.rsplit(":", 1)[-1]


def _wait_booted(podman: Podman, name: str) -> str:
    deadline = time.monotonic() + BOOT_TIMEOUT
    state = "unknown"
    while time.monotonic() < deadline:
        result = podman.run("exec", name, "systemctl", "is-system-running", check=False)
        state = result.stdout.decode().strip()
        if state in ("running", "degraded"):
            return state
        time.sleep(0.5)
    raise LandingzoneError(
        f"{name}: systemd did not finish booting within {BOOT_TIMEOUT}s (state {state!r})", exit_code=3
    )


# A packet from the container to its gateway (the controller's side of the lab network).
ANNOUNCE_SCRIPT = (
    'gateway=$(ip -4 route show default | cut -d" " -f3); '
    '[ -z "$gateway" ] || timeout 2 bash -c "echo > /dev/tcp/$gateway/9" 2>/dev/null; true'
)


def _announce(podman: Podman, name: str) -> None:
    """A container made again at an address the controller still maps to the old one's MAC
    would answer SSH only once that ARP entry expires, tens of seconds later; its ARP request
    for the gateway makes the controller learn the new MAC at once."""
    podman.run("exec", name, "sh", "-c", ANNOUNCE_SCRIPT, check=False)


def _install_key(podman: Podman, name: str, public_key: bytes) -> None:
    script = (
        "install -d -m 0700 -o operator -g operator /home/operator/.ssh && "
        "cat > /home/operator/.ssh/authorized_keys && "
        "chown operator:operator /home/operator/.ssh/authorized_keys && "
        "chmod 0600 /home/operator/.ssh/authorized_keys"
    )
    podman.run("exec", "-i", name, "sh", "-c", script, input_bytes=public_key)


def ssh_login_works(key: Path, address: str, known_hosts: Path, sudo: bool = True) -> bool:
    """Whether the operator logs in over real SSH with its key, the host's key checked against the
    municipality's known_hosts, and (with `sudo`) may sudo without a password, as on the lab image;
    a stock host's sudo asks for one."""
    result = subprocess.run(
        [
            "ssh",
            *ssh_arguments(known_hosts),
            *SSH_OPTIONS,
            "-i",
            str(key),
            f"operator@{address}",
            *(["sudo", "-n", "true"] if sudo else ["true"]),
        ],  # fmt: skip
        # ssh makes the stdin it inherits non-blocking, and Ansible refuses to run on
        # a non-blocking stdin: children of this CLI never share ours.
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
        timeout=30,
    )
    return result.returncode == 0


def _wait_ssh(lab: Lab, host: LabHost) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline:
        if ssh_login_works(lab.key_path, host.address, lab.known_hosts, sudo=not is_stock_image(host.image)):
            return
        time.sleep(0.5)
    raise LandingzoneError(f"{host.name}: the operator cannot log in over SSH at {host.address}", exit_code=3)


def neighbour_host_args(lab: Lab, host: LabHost) -> list[str]:
    """`--add-host` for every other host of the lab: the names a municipality's DNS would resolve.

    The lab network has no DNS of its own, and the roles reach a host by its inventory name where
    that name is what its certificate proves (the log collector: the sender checks the collector's
    certificate against the name it connects to)."""
    args: list[str] = []
    for other in lab.hosts:
        if other.name != host.name:
            args += ["--add-host", f"{other.name}:{other.address}"]
    return args


def start_host(
    podman: Podman, lab: Lab, host: LabHost, public_key: bytes, certificate_lifetime: datetime.timedelta | None = None
) -> None:
    """Start (or create) the host's container with the operator's key, its SSH host key
    certified by the lab for its name and address."""
    if not podman.exists("container", host.name):
        args = [
            "run",
            "--detach",
            "--name",
            host.name,
            "--hostname",
            host.name,
            "--network",
            lab.network,
            "--ip",
            host.address,
            *(["--ip6", host.address6] if host.address6 else []),
            "--systemd",
            "always",
            "--label",
            f"{LAB_LABEL}={lab.municipality}",
        ]
        for capability in host.capabilities:
            args += ["--cap-add", capability]
        for device in host.devices:
            args += ["--device", device]
        for key, value in host.sysctls.items():
            args += ["--sysctl", f"{key}={value}"]
        args += neighbour_host_args(lab, host)
        podman.run(*args, host.image)
    elif podman.inspect("container", host.name)["State"]["Status"] != "running":
        podman.run("start", host.name)
    _wait_booted(podman, host.name)
    _announce(podman, host.name)
    _install_key(podman, host.name, public_key)
    authority = lab_authority(lab.state_dir)
    certify(podman, authority, lab.municipality, host.name, [host.name, host.address], certificate_lifetime)
    _wait_ssh(lab, host)


def ensure_network(podman: Podman, lab: Lab) -> None:
    """The lab's network, dual stack where the inventory gives a lab_subnet6."""
    subnets = [lab.subnet, *([lab.subnet6] if lab.subnet6 else [])]
    existing = podman.inspect("network", lab.network)
    if existing is None:
        ipv6 = ["--ipv6"] if lab.subnet6 else []
        created = [arg for subnet in subnets for arg in ("--subnet", subnet)]
        podman.run("network", "create", *ipv6, *created, "--label", f"{LAB_LABEL}={lab.municipality}", lab.network)
        return
    present = {str(s.get("subnet")) for s in existing.get("subnets") or []}
    missing = [subnet for subnet in subnets if subnet not in present]
    if missing:
        raise LandingzoneError(
            f"lab {lab.municipality}: network {lab.network} exists without {', '.join(missing)}: "
            f"run `landingzone lab down {lab.municipality}` and bring the lab up again"
        )


def write_ssh_config(lab: Lab) -> None:
    """Lets `ssh <host name>` (and Ansible's ssh connection) reach the containers, their
    host keys checked against the lab's known_hosts."""
    lines = []
    for host in lab.hosts:
        lines += [
            f"Host {host.name}",
            f"    HostName {host.address}",
            "    User operator",
            f"    IdentityFile {config_value(lab.key_path)}",
            "    IdentitiesOnly yes",
            *ssh_config_lines(lab.known_hosts),
            "    LogLevel ERROR",
            "",
        ]
    (lab.state_dir / "ssh_config").write_text("\n".join(lines), encoding="utf-8")


def offsite_endpoint(fleet: Path, lab: Lab):
    """The S3 endpoint the card's offsite copy needs from the lab (offsite_s3.py), or None."""
    card_path = municipality_dir(fleet, lab.municipality) / "municipality.yml"
    if not card_path.exists():
        return None
    _, card = read_card(card_path)
    offsite = (card.get("backup") or {}).get("offsite")
    return lab_s3(lab.municipality, lab.subnet, offsite if isinstance(offsite, dict) else None, card_path)


def up(root: Path, fleet: Path, municipality: str, log=print) -> Lab:
    lab = load_lab(root, fleet, municipality)
    podman = Podman(root)
    for stock, ensure in ((False, ensure_images), (True, ensure_stock_images)):
        suites = sorted({_suite_of(h.image) for h in lab.hosts if is_stock_image(h.image) == stock})
        if suites:  # an empty list would mean every suite
            ensure(root, suites, log=log)
    # The workplace's desks and gateway start from the desk image (lab_image), made from the lab image.
    if any(host.image == DESK_IMAGE for host in lab.hosts):
        ensure_desk_image(root, log=log)
    lab.state_dir.mkdir(parents=True, exist_ok=True)
    if not lab.key_path.exists():
        subprocess.run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                f"operator@lab-{municipality}",
                "-f",
                str(lab.key_path),
            ],
            check=True,
        )
    ca = CertificateAuthority(lab.state_dir / "pki").ensure(f"landingzone lab CA {municipality}")
    for host in lab.hosts:
        ca.issue(host.name, [host.name, host.address])
    write_known_hosts(lab.known_hosts, municipality, lab_authority(lab.state_dir))
    ensure_network(podman, lab)
    write_ssh_config(lab)
    s3 = offsite_endpoint(fleet, lab)
    if s3 is not None:
        # Before the hosts: the backup server's role makes its repositories in the bucket.
        image = next(host.image for host in lab.hosts if not is_stock_image(host.image))
        taken = addresses_in_use(podman, lab.network)
        address6 = free_address(lab, taken, version=6, purpose="the S3 endpoint") if lab.subnet6 else ""
        start_s3(root, podman, s3, lab.network, image, f"{LAB_LABEL}={municipality}", address6, log=log)
    public_key = lab.key_path.with_suffix(".pub").read_bytes()
    with ThreadPoolExecutor(max_workers=len(lab.hosts)) as pool:
        list(pool.map(lambda h: start_host(podman, lab, h, public_key), lab.hosts))
    subnets = ", ".join(filter(None, [lab.subnet, lab.subnet6]))
    log(f"lab {municipality}: {len(lab.hosts)} hosts up on {lab.network} ({subnets})")
    return lab


def down(root: Path, municipality: str, log=print, fleet: Path | None = None) -> list[str]:
    """Remove the lab's containers, network and keys, and the known_hosts it wrote into the
    fleet's municipality (when given the fleet); nothing else."""
    podman = Podman(root)
    label = f"label={LAB_LABEL}={municipality}"
    removed = []
    names = podman.text("ps", "--all", "--filter", label, "--format", "{{.Names}}").split()
    if names:
        podman.run("rm", "--force", "--time", "5", *names)
        removed += [f"container {n}" for n in names]
    for network in podman.text("network", "ls", "--filter", label, "--format", "{{.Name}}").split():
        podman.run("network", "rm", network)
        removed.append(f"network {network}")
    state = state_dir_for(root, municipality)
    if state.exists():
        shutil.rmtree(state)
        removed.append(f"keys and certificates in {state.relative_to(root)}")
    known_hosts = known_hosts_of(fleet / municipality) if fleet else None
    if known_hosts and remove_known_hosts(known_hosts):
        removed.append(f"the trust it wrote in {known_hosts}")
    log(f"lab {municipality}: removed " + (", ".join(removed) if removed else "nothing (it was not up)"))
    return removed


def status(root: Path, fleet: Path, municipality: str) -> list[dict]:
    lab = load_lab(root, fleet, municipality)
    podman = Podman(root)
    rows = []
    for host in lab.hosts:
        info = podman.inspect("container", host.name)
        running = bool(info) and info["State"]["Status"] == "running"
        systemd = sshd = "-"
        login = False
        failed = []
        if running:
            systemd = (
                podman.run("exec", host.name, "systemctl", "is-system-running", check=False).stdout.decode().strip()
            )
            if systemd == "degraded":
                # Say which units failed: in a container that is often one that cannot run there.
                listing = podman.run(
                    "exec", host.name, "systemctl", "list-units", "--failed", "--plain", "--no-legend", check=False
                )
                failed = [line.split()[0] for line in listing.stdout.decode().splitlines() if line.split()]
            sshd = podman.run("exec", host.name, "systemctl", "is-active", "ssh", check=False).stdout.decode().strip()
            login = lab.key_path.exists() and ssh_login_works(
                lab.key_path, host.address, lab.known_hosts, sudo=not is_stock_image(host.image)
            )
        rows.append(
            {
                "host": host.name,
                "address": host.address,
                "image": host.image,
                "container": info["State"]["Status"] if info else "absent",
                "systemd": systemd,
                "failed_units": failed,
                "sshd": sshd,
                "operator_ssh": login,
            }
        )
    return rows
