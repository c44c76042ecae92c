"""The lab's S3 endpoint: where a lab municipality's offsite copy goes when its card turns it on.

A municipality's offsite bucket lives at a storage provider; the lab has none. So when the
card's ``backup.offsite`` is on and its endpoint is an address of the lab's subnet, `lab up`
starts moto's S3 server there, in a container of its own on the lab network, with the lab's
label (`lab down` removes it with the rest). moto comes from the controller's virtualenv
(the pinned ``moto[server]``), mounted read-only into a container of the lab image at the same
paths, with the Python it was built on: the lab images stay as their recipe makes them.

The provider's side is then done as a provider would: three IAM users (the administrator, the
backup server's writer and the recovery credential, as the card names the last two) with their
access keys, IAM checks switched on (moto checks a request against its signer's policies only
from then on), and the bucket made by ``playbooks/offsite_bucket.yml`` with the administrator's
key: Object Lock, versioning, the lifecycle rule and the writer's and recovery policies.

moto draws its keys from a generator the lab seeds, so the lab issues the same keys every time:
the demo vault holds the writer's and the recovery credential's (lab secrets only), and
tests/unit/landingzone/test_lab_offsite_s3.py checks that they are the ones issued here.
"""

import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from landingzone.errors import LandingzoneError
from landingzone.lab.podman import Podman

# moto's generator is seeded with this before the users are made: the keys come out the same every time.
KEY_SEED = 231
ADMIN_USER = "lab-offsite-admin"
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
START_TIMEOUT = 60
PLAYBOOK = Path("playbooks") / "offsite_bucket.yml"
BUCKET_FIELDS = ("type", "endpoint", "bucket", "region", "lock_days", "writer_user", "recovery_user", "iam_endpoint")


@dataclass(frozen=True)
class LabS3:
    """The endpoint a card's offsite copy names, when the lab is to provide it."""

    municipality: str
    endpoint: str
    address: str
    port: int
    offsite: dict

    @property
    def container(self) -> str:
        return f"{self.municipality}-s3"

    @property
    def users(self) -> list[str]:
        """The IAM users in the order they are made (the order fixes their keys)."""
        return [ADMIN_USER, self.offsite["writer_user"], self.offsite["recovery_user"]]


def lab_s3(municipality: str, subnet: str, offsite: dict | None, card_path: Path) -> LabS3 | None:
    """The S3 endpoint the lab must provide for this card's offsite copy, or None (no copy, or
    one to an endpoint outside the lab)."""
    if not offsite or offsite.get("enabled", True) is False:
        return None
    endpoint = str(offsite.get("endpoint") or "")
    location = urlsplit(endpoint)
    try:
        address = ipaddress.ip_address(location.hostname or "")
    except ValueError:
        return None
    if address not in ipaddress.ip_network(subnet):
        return None
    field = f"{card_path}: backup.offsite"
    if location.scheme != "http":
        raise LandingzoneError(f"{field}.endpoint: the lab's S3 endpoint speaks http, not {location.scheme}")
    for name in ("writer_user", "recovery_user"):
        if not offsite.get(name):
            raise LandingzoneError(f"{field}.{name}: the lab's S3 endpoint makes this IAM user; name it")
    if offsite.get("iam_endpoint") != endpoint:
        raise LandingzoneError(f"{field}.iam_endpoint: in the lab, IAM answers at the S3 endpoint: {endpoint}")
    # What the bucket's playbook reads: never the writer's keys, which the card may carry.
    target = {key: offsite[key] for key in BUCKET_FIELDS if key in offsite}
    return LabS3(municipality, endpoint, str(address), location.port or 80, target)


def _python_mounts() -> tuple[str, list[str]]:
    """The virtualenv's python, and the read-only mounts that let it run in a lab container."""
    try:
        import moto.server  # noqa: F401 - only its presence is checked here
    except ImportError:
        raise LandingzoneError(
            "the lab's S3 endpoint needs moto[server] in the controller's virtualenv: run `make setup`"
        ) from None
    prefixes = sorted({str(Path(sys.prefix).resolve()), str(Path(sys.base_prefix).resolve())})
    mounts = [arg for prefix in prefixes for arg in ("--volume", f"{prefix}:{prefix}:ro")]
    return str(Path(sys.prefix).resolve() / "bin" / "python3"), mounts


def _request(url: str, data: bytes | None = None, timeout: float = 10) -> None:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        request.add_header("Content-Type", "text/plain")  # a form body would never reach moto's handler
    urllib.request.urlopen(request, timeout=timeout).close()


def _wait_started(s3: LabS3, podman: Podman) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            _request(f"{s3.endpoint}/moto-api/", timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                logs = podman.run("logs", "--tail", "20", s3.container, check=False).stdout.decode(errors="replace")
                raise LandingzoneError(
                    f"{s3.container}: moto did not answer at {s3.endpoint}: {logs}", exit_code=3
                ) from None
            time.sleep(0.5)


def issue_keys(endpoint: str, users: list[str]) -> dict[str, tuple[str, str]]:
    """Seed moto, make the IAM users with one access key each (the first one may do everything),
    then switch IAM checks on. {user: (access key id, secret)}."""
    import boto3  # the virtualenv's, with moto

    _request(f"{endpoint}/moto-api/seed?a={KEY_SEED}", data=b"")
    iam = boto3.session.Session().client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="lab-setup",
        aws_secret_access_key="lab-setup",
    )
    keys = {}
    for user in users:
        iam.create_user(UserName=user)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
    iam.put_user_policy(UserName=users[0], PolicyName="everything", PolicyDocument=json.dumps(ADMIN_POLICY))
    _request(f"{endpoint}/moto-api/reset-auth", data=b"0")
    return keys


def make_bucket(root: Path, s3: LabS3, admin: tuple[str, str]) -> None:
    """playbooks/offsite_bucket.yml with the card's offsite target and the administrator's key."""
    extra = {
        "landingzone_backup_offsite": s3.offsite,
        "landingzone_offsite_admin": {"access_key_id": admin[0], "secret_access_key": admin[1]},
    }
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    playbook = Path(sys.executable).with_name("ansible-playbook")
    with tempfile.TemporaryDirectory(prefix="lab-s3-") as scratch:
        variables = Path(scratch) / "offsite.json"
        variables.write_text(json.dumps(extra), encoding="utf-8")
        done = subprocess.run(
            [str(playbook), "-i", "localhost,", str(PLAYBOOK), "-e", f"@{variables}"],
            cwd=root,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    if done.returncode != 0:
        raise LandingzoneError(
            f"{s3.container}: {PLAYBOOK} could not make the bucket {s3.offsite['bucket']}: {done.stdout[-1500:]}",
            exit_code=3,
        )


def start_s3(
    root: Path, podman: Podman, s3: LabS3, network: str, image: str, label: str, address6: str = "", log=print
) -> None:
    """The S3 container, its users and its bucket; a running one is left as it is (moto keeps
    everything in memory: a stopped one has lost it, and is made again). On a dual-stack lab
    network it takes `address6` (see landingzone.lab.lab_addresses for why it must be given)."""
    info = podman.inspect("container", s3.container)
    if info and info["State"]["Status"] == "running":
        return
    if info:
        podman.run("rm", "--force", "--time", "5", s3.container)
    python, mounts = _python_mounts()
    podman.run(
        "run",
        "--detach",
        "--name",
        s3.container,
        "--network",
        network,
        "--ip",
        s3.address,
        *(["--ip6", address6] if address6 else []),
        "--label",
        label,
        *mounts,
        # Only the setup may pass unchecked; issue_keys switches the checks on.
        "--env",
        "INITIAL_NO_AUTH_ACTION_COUNT=1000000",
        "--env",
        "PYTHONDONTWRITEBYTECODE=1",
        image,
        python,
        "-m",
        "moto.server",
        "--host",
        "0.0.0.0",  # noqa: S104 - inside its container, on the lab network only
        "--port",
        str(s3.port),
    )
    _wait_started(s3, podman)
    keys = issue_keys(s3.endpoint, s3.users)
    make_bucket(root, s3, keys[ADMIN_USER])
    log(f"lab {s3.municipality}: S3 endpoint {s3.endpoint} ({s3.container}) with the bucket {s3.offsite['bucket']}")
