"""The lab's S3 endpoint (src/landingzone/lab/offsite_s3.py): when `lab up` provides one, and
the provider's side it sets up, tried against moto's server on loopback (the container only
changes where it runs): the keys it issues are the demo vault's, IAM checks are on, and the
bucket is locked with the writer's and the recovery credential's policies."""

import base64
import hashlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import botocore.exceptions
import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from landingzone.errors import LandingzoneError
from landingzone.lab.municipality_lab import load_lab, offsite_endpoint
from landingzone.lab.offsite_s3 import ADMIN_USER, LabS3, issue_keys, lab_s3, make_bucket

ROOT = Path(__file__).resolve().parents[3]
CARD = Path("inventories/gent/municipality.yml")
SUBNET = "10.231.10.0/24"
LAB_OFFSITE = {
    "type": "s3",
    "endpoint": "http://10.231.10.51:9000",
    "iam_endpoint": "http://10.231.10.51:9000",
    "bucket": "gent-offsite",
    "writer_user": "gent-writer",
    "recovery_user": "gent-recovery",
}


def test_the_demo_card_asks_the_lab_for_its_s3_endpoint():
    lab = load_lab(ROOT, ROOT / "inventories", "demo")
    s3 = offsite_endpoint(ROOT / "inventories", lab)
    assert (s3.container, s3.address, s3.port) == ("demo-s3", "10.231.10.51", 9000)
    assert s3.users == [ADMIN_USER, "demo-backup-writer", "demo-backup-recovery"]


@pytest.mark.parametrize(
    "offsite",
    [
        None,
        {**LAB_OFFSITE, "enabled": False},
        # A provider outside the lab: nothing for the lab to start.
        {**LAB_OFFSITE, "endpoint": "https://s3.provider.example"},
        {**LAB_OFFSITE, "endpoint": "http://10.99.0.5:9000"},
    ],
)
def test_no_endpoint_is_started_for_a_copy_that_is_off_or_elsewhere(offsite):
    assert lab_s3("gent", SUBNET, offsite, CARD) is None


def test_the_writers_keys_never_reach_the_bucket_playbook():
    s3 = lab_s3("gent", SUBNET, {**LAB_OFFSITE, "access_key_id": "AKIA1", "secret_access_key": "x" * 40}, CARD)
    assert "access_key_id" not in s3.offsite and "secret_access_key" not in s3.offsite
    assert s3.offsite["bucket"] == "gent-offsite"


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"endpoint": "https://10.231.10.51:9000"}, "endpoint", "speaks http, not https"),
        ({"recovery_user": ""}, "recovery_user", "makes this IAM user; name it"),
        ({"writer_user": None}, "writer_user", "makes this IAM user; name it"),
        ({"iam_endpoint": "http://10.231.10.52:9000"}, "iam_endpoint", "IAM answers at the S3 endpoint"),
    ],
)
def test_a_lab_endpoint_the_lab_cannot_provide_names_the_field(change, field, problem):
    with pytest.raises(LandingzoneError) as error:
        lab_s3("gent", SUBNET, {**LAB_OFFSITE, **change}, CARD)
    assert str(error.value).startswith(f"{CARD}: backup.offsite.{field}: ")
    assert problem in str(error.value)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """moto on loopback as the lab's container runs it, set up by the lab's own functions."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "--host", "127.0.0.1", "--port", str(port)],
            env={"PATH": "/usr/bin:/bin", "INITIAL_NO_AUTH_ACTION_COUNT": "1000000"},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        s3 = LabS3("demo", endpoint, "127.0.0.1", port, {**LAB_OFFSITE, "endpoint": endpoint, "iam_endpoint": endpoint,
                                                           "bucket": "demo-offsite-backup", "lock_days": 2,
                                                           "writer_user": "demo-backup-writer",
                                                           "recovery_user": "demo-backup-recovery"})  # fmt: skip
        keys = issue_keys(endpoint, s3.users)
        make_bucket(ROOT, s3, keys[ADMIN_USER])
        yield endpoint, keys
    finally:
        process.terminate()
        process.wait(timeout=20)


def _client(endpoint, key, service="s3"):
    return boto3.session.Session().client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key[0], aws_secret_access_key=key[1]
    )


def _demo_vault_value(path: Path, *keys: str) -> str:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!vault", lambda loader, node: ("vault", loader.construct_scalar(node)))
    value = yaml.load(path.read_text(), Loader=Loader)  # noqa: S506 - a SafeLoader with one tag added
    for key in keys:
        value = value[key]
    if isinstance(value, tuple):
        secret = VaultSecret((ROOT / "lab" / "demo-vault-password").read_bytes().strip())
        return VaultLib([("default", secret)]).decrypt(value[1].encode()).decode()
    return value


def test_the_keys_the_lab_issues_are_the_demo_vaults(provider):
    _, keys = provider
    group_vars = ROOT / "inventories" / "demo" / "group_vars"
    for user, path, variable in (
        ("demo-backup-writer", group_vars / "backup_servers" / "backup_server.yml", "landingzone_offsite_writer"),
        ("demo-backup-recovery", group_vars / "all" / "vault.yml", "landingzone_offsite_recovery"),
    ):
        vault = (
            _demo_vault_value(path, variable, "access_key_id"),
            _demo_vault_value(path, variable, "secret_access_key"),
        )
        assert keys[user] == vault, f"{path}: {variable} is not what the lab's S3 endpoint issues to {user}"


def test_iam_checks_are_on_and_the_bucket_is_locked_for_the_writer_and_readable_by_recovery(provider):
    endpoint, keys = provider
    admin = _client(endpoint, keys[ADMIN_USER])
    lock = admin.get_object_lock_configuration(Bucket="demo-offsite-backup")["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    retention = lock["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Days"]) == ("COMPLIANCE", 2)
    assert admin.get_bucket_versioning(Bucket="demo-offsite-backup")["Status"] == "Enabled"
    writer = _client(endpoint, keys["demo-backup-writer"])
    body = b"restic data"
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324 - what S3 asks of a locked upload
    writer.put_object(Bucket="demo-offsite-backup", Key="demo-app1/data/00/x", Body=body, ContentMD5=md5)
    recovery = _client(endpoint, keys["demo-backup-recovery"])
    assert recovery.get_object(Bucket="demo-offsite-backup", Key="demo-app1/data/00/x")["Body"].read() == body
    with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):
        recovery.put_object(Bucket="demo-offsite-backup", Key="demo-app1/data/00/y", Body=body, ContentMD5=md5)
    with pytest.raises(botocore.exceptions.ClientError, match="AccessDenied"):
        writer.put_bucket_versioning(Bucket="demo-offsite-backup", VersioningConfiguration={"Status": "Suspended"})
    # A key moto never issued is refused: the checks are on for everyone.
    with pytest.raises(botocore.exceptions.ClientError, match="InvalidAccessKeyId"):
        _client(endpoint, ("AKIANOTISSUED0000000", "x" * 40)).list_objects_v2(Bucket="demo-offsite-backup")
